package baseline

import (
	"time"

	"github.com/parley-voice/parley/engine/media"
)

// Fixed is a media.Policy that never changes its settings: the fixed baselines and the points
// of the hindsight grid. Its one decision, at the first tick, repeats Settings with Target as
// the receiver's jitter target (a fixed buffer's delay).
type Fixed struct {
	Settings media.Settings
	Target   time.Duration
}

// Initial implements media.Policy.
func (f *Fixed) Initial() media.Settings { return f.Settings }

// Period implements media.Policy: an hour (one decision in any run).
func (f *Fixed) Period() time.Duration { return time.Hour }

// OnSend implements media.Policy.
func (f *Fixed) OnSend(time.Duration, uint16, int) {}

// OnFeedback implements media.Policy.
func (f *Fixed) OnFeedback(*media.Feedback) {}

// OnRTT implements media.Policy.
func (f *Fixed) OnRTT(time.Duration, time.Duration) {}

// Decide implements media.Policy.
func (f *Fixed) Decide(time.Duration) (media.Decision, bool) {
	return media.Decision{Settings: f.Settings, JitterTarget: f.Target}, true
}
