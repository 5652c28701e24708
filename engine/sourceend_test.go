package engine

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/parley-voice/parley/engine/audio"
)

// TestHangupAfterSourceEnds: a call sending a half-second clip hangs itself up after the clip
// and the configured delay; the peer hears a hang-up. The clip's end is waited for by the
// engine, not polled by the application.
func TestHangupAfterSourceEnds(t *testing.T) {
	base := runtime.NumGoroutine()
	l, ca, cb := lab(t, 0, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clip := make([]float32, audio.SampleRateHz/2)
	tone := &audio.Tone{FrequencyHz: 440, Amplitude: 0.2}
	_, _ = tone.Read(clip)
	ca.Source = &audio.Samples{Audio: clip}
	ca.HangupAfterSourceEnds = 300 * time.Millisecond
	a, b := connect(t, ctx, ca, cb)
	waitState(t, ctx, a, StateConnected)
	connected := time.Now()
	ev := waitState(t, ctx, a, StateEnded)
	took := time.Since(connected)
	if ev.Reason != ReasonHangup {
		t.Errorf("alice's call ended with %v, want %v", ev, ReasonHangup)
	}
	if took < 700*time.Millisecond || took > 10*time.Second {
		t.Errorf("alice hung up %v after connecting; want after the 0.5 s clip and the 0.3 s delay", took)
	}
	if ev := waitState(t, ctx, b, StateEnded); ev.Reason != ReasonRemoteHangup {
		t.Errorf("bob's call ended with %v, want %v", ev, ReasonRemoteHangup)
	}
	if st := a.Stats(); !st.Send.SourceEnded {
		t.Error("alice's stats do not show the source ended")
	}
	t.Logf("alice hung up %v after connecting (0.5 s clip, HangupAfterSourceEnds 300ms)", took.Round(10*time.Millisecond))
	l.Close()
	waitGoroutines(t, base, 10*time.Second)

	bad := Config{HangupAfterSourceEnds: -time.Second}
	if _, err := bad.resolve(); !errors.Is(err, ErrConfig) {
		t.Errorf("negative HangupAfterSourceEnds: %v, want ErrConfig", err)
	}
}
