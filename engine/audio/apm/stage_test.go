package apm_test

import (
	"testing"
	"time"

	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/engine/audio/apm"
)

type latent struct {
	audio.Silence
	d time.Duration
}

func (l latent) Latency() time.Duration { return l.d }

func TestStage(t *testing.T) {
	p := newProc(t, apm.Config{EchoCancel: true})
	rec := &audio.Recorder{}
	rev := &apm.Reverse{Sink: rec, P: p}
	if err := rev.Write(audioTone(960, 0.1)); err != nil {
		t.Fatal(err)
	}
	if err := rev.Write(audioTone(100, 0.1)); err != nil { // less than a frame: played, not analysed
		t.Fatal(err)
	}
	if n := len(rec.Audio()); n != 1060 {
		t.Errorf("the sink got %d samples, want 1060", n)
	}
	capt := &apm.Capture{Source: &audio.Samples{Audio: audioTone(1000, 0.1)}, P: p}
	buf := make([]float32, 960)
	if n, err := capt.Read(buf); n != 960 || err != nil {
		t.Fatalf("capture read %d, %v", n, err)
	}
	if n, _ := capt.Read(buf); n != 40 {
		t.Fatalf("capture read %d at the end, want 40", n)
	}
	if st := p.Stats(); st.ReverseFrames != 2 || st.CaptureFrames != 2 {
		t.Errorf("frames: %d reverse, %d capture; want 2 and 2", st.ReverseFrames, st.CaptureFrames)
	}
	src, sink := &apm.Capture{Source: audio.Silence{}, P: p}, &apm.Reverse{Sink: audio.Silence{}, P: p}
	if a := testing.AllocsPerRun(100, func() {
		_ = sink.Write(buf)
		_, _ = src.Read(buf)
	}); a != 0 {
		t.Errorf("%v allocations per 20 ms through the stage", a)
	}
	p.Close()
	if n, err := capt.Read(buf); n != 0 || err == nil {
		t.Errorf("exhausted source through a closed processor: %d, %v", n, err)
	}
	if err := rev.Write(buf); err != nil {
		t.Errorf("a closed processor failed the sink: %v", err)
	}
	if d := apm.DelayHint(latent{d: 20 * time.Millisecond}, latent{d: 30 * time.Millisecond}); d != 50*time.Millisecond {
		t.Errorf("DelayHint %v, want 50ms", d)
	}
	if d := apm.DelayHint(audio.Silence{}, latent{d: 30 * time.Millisecond}); d != 0 {
		t.Errorf("DelayHint without the source's latency %v, want 0", d)
	}
}
