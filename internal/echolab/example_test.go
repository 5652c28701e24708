package echolab_test

import (
	"fmt"
	"time"

	"github.com/parley-voice/parley/internal/echolab"
)

// A scenario with a 10 % longer echo delay from ChangeAt on; a canceller's output is scored
// with ERLE in the far-only windows and PESQ on the double-talk cut.
func Example() {
	tk, err := echolab.LoadTalkers("")
	if err != nil {
		fmt.Println(err)
		return
	}
	sig, err := echolab.Scenario{Far: tk.Far[0], Near: tk.Near, Path: echolab.Paths[1], DelayChange: 0.1, Seed: 1}.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	out := sig.Mic // no processing: ERLE 0 dB
	fmt.Printf("%.1f s, ERLE %.1f dB, double talk %.0f s\n", float64(len(sig.Mic))/echolab.SampleRateHz,
		echolab.MedianERLE(sig.ERLE(out), 2*time.Second, time.Hour), float64(len(sig.Cut(out, echolab.DoubleTalk)))/echolab.SampleRateHz)
	// Output: 18.0 s, ERLE 0.0 dB, double talk 6 s
}
