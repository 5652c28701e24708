package jitter

import (
	"testing"
	"time"

	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/internal/netem"
)

// netemDelay sends packets before switchAt through link a and the rest through link b.
func netemDelay(t testing.TB, a, b netem.LinkConfig, switchAt time.Duration, seed uint64) func(int, time.Duration) (time.Duration, bool) {
	t.Helper()
	la, err := netem.NewLink(a, seed)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := netem.NewLink(b, seed+1)
	if err != nil {
		t.Fatal(err)
	}
	return func(_ int, at time.Duration) (time.Duration, bool) {
		l := la
		if at >= switchAt {
			l = lb
		}
		d := l.Send(at, 120)
		return d.At - at, d.Dropped
	}
}

func TestJitterAdaptsUpAndDown(t *testing.T) {
	s := loadSpeech(t)
	speech := append(append(append([]float32(nil), s...), s...), s...)[:26*rtpClockHz]
	tx := encode(t, speech, codec.DefaultSettings(), 0)
	jittery := netem.LinkConfig{Delay: netem.DelayConfig{Base: 30 * time.Millisecond, Jitter: 30 * time.Millisecond}}
	calm := netem.LinkConfig{Delay: netem.DelayConfig{Base: 30 * time.Millisecond}}
	const switchAt = 8 * time.Second
	rx := deliver(tx, netemDelay(t, jittery, calm, switchAt, 7))
	b := newBuffer(t, Config{FEC: true})
	tr := run(t, b, rx, 27*time.Second)

	at := func(d time.Duration) Stats { return tr.stats[int(d/(10*time.Millisecond))] }
	var maxTarget time.Duration
	for _, s := range tr.stats[:int(switchAt/(10*time.Millisecond))] {
		maxTarget = max(maxTarget, s.TargetDelay)
	}
	jitterPhase := meanDelayBetween(at(3*time.Second), at(switchAt))
	calmPhase := meanDelayBetween(at(22*time.Second), at(26*time.Second))
	endJ, end := at(switchAt), at(26*time.Second)
	lateFrac := float64(endJ.PacketsDiscarded) / float64(endJ.PacketsReceived)
	t.Logf("jitter phase: max target %v, mean delay %v, late %d/%d (%.2f%%), concealed %d samples in %d events",
		maxTarget, jitterPhase, endJ.PacketsDiscarded, endJ.PacketsReceived, 100*lateFrac, endJ.ConcealedSamples, endJ.ConcealmentEvents)
	t.Logf("calm phase: target %v, mean delay %v (22-26 s; the peak memory holds the target for 10 s); removed %d inserted %d samples", end.TargetDelay, calmPhase, end.RemovedSamplesForAcceleration, end.InsertedSamplesForDeceleration)
	if maxTarget < 50*time.Millisecond {
		t.Errorf("target peaked at %v under 30 ms jitter, want it to rise above 50 ms", maxTarget)
	}
	if lateFrac > 0.02 {
		t.Errorf("late loss %.2f%%, want < 2%%", 100*lateFrac)
	}
	if calmPhase > jitterPhase-10*time.Millisecond || calmPhase > 40*time.Millisecond {
		t.Errorf("delay did not fall when the jitter stopped: %v during jitter, %v after", jitterPhase, calmPhase)
	}
	if end.RemovedSamplesForAcceleration == 0 {
		t.Errorf("no acceleration")
	}
}
