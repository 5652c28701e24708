package bench

import (
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/internal/netem"
)

// fixedPolicy never changes its settings: the fixed baselines and the hindsight grid.
type fixedPolicy struct{ s adapt.Settings }

func (f *fixedPolicy) initial() adapt.Settings            { return f.s }
func (f *fixedPolicy) period() time.Duration              { return time.Hour }
func (f *fixedPolicy) onSend(time.Duration, uint16, int)  {}
func (f *fixedPolicy) onFeedback(time.Duration, feedback) {}
func (f *fixedPolicy) decide(time.Duration) adapt.Decision {
	return adapt.Decision{Settings: f.s, WireBps: f.s.WireBps(packetOverheadBytes)}
}

// FixedSetting is one fixed sender and receiver configuration.
type FixedSetting struct {
	BitrateBps int
	FEC        bool
	REDDepth   int
	Buffer     time.Duration // fixed jitter-buffer delay
}

// settings returns the sender settings of f (20 ms frames; FEC with a 10 % loss hint).
func (f FixedSetting) settings() adapt.Settings {
	s := adapt.Settings{BitrateBps: f.BitrateBps, Frame: 20 * time.Millisecond, FEC: f.FEC, REDDepth: f.REDDepth, JitterTarget: f.Buffer}
	if f.FEC {
		s.LossHint = 0.1
	}
	return s
}

// runFixed runs a fixed setting with a fixed-delay receiver.
func runFixed(speech []float32, f FixedSetting, link *netem.Link, tl *Timeline) (AdaptResult, error) {
	return runLoop(speech, loopConfig{policy: &fixedPolicy{s: f.settings()},
		rx: &FixedReceiver{Delay: f.Buffer, FEC: f.FEC}, timeline: tl}, link)
}
