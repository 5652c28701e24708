package apm_test

import (
	"fmt"
	"time"

	"github.com/parley-voice/parley/engine/audio/apm"
)

// A call feeds the far end as played to AnalyzeReverse and cleans the microphone with
// ProcessCapture, both in whole 10 ms frames.
func Example() {
	p, err := apm.New(apm.Config{EchoCancel: true, NoiseSuppress: true, GainControl: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	p.SetDelay(60 * time.Millisecond) // a hint; the canceller finds the delay itself
	played := make([]float32, 960)    // 20 ms the speaker just played
	mic := make([]float32, 960)       // 20 ms from the microphone
	if err := p.AnalyzeReverse(played); err != nil {
		fmt.Println(err)
	}
	if err := p.ProcessCapture(mic); err != nil {
		fmt.Println(err)
	}
	st := p.Stats()
	fmt.Println(p.FrameSamples(), st.CaptureFrames, st.EchoCancel)
	// Output: 480 2 true
}
