package bench

import (
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/engine/media"
	"github.com/parley-voice/parley/internal/netem"
)

// AdaptConfig configures RunAdaptive and the adaptive strategies. Zero fields take the
// defaults given.
type AdaptConfig struct {
	// Controller decides; nil builds one over the embedded model with the default policy. A
	// controller is consumed by the run: give each its own.
	Controller *adapt.Controller
	// Complexity is the Opus complexity (0 means the call default).
	Complexity int
}

// AdaptStep is one decision of a run: the settings in force from At on. The first step, at 0,
// is the policy's initial settings (replaced by a decision made at 0).
type AdaptStep struct {
	At       time.Duration
	Decision media.Decision
}

// AdaptResult is an adaptive run's outcome: the pipeline result and the decisions made.
type AdaptResult struct {
	Result
	Steps   []AdaptStep
	Changes int // decisions that changed the settings
}

// RunAdaptive is Run with the engine's default policy (media.AdaptPolicy) deciding the sender's
// settings (bitrate, frame size, FEC and loss hint, RED depth and low-rate copies) from the
// receiver's arrival feedback, which travels back over reverse (nil: a lossless path without
// delay) every media.FeedbackInterval, as in a live call; the receiver (rx, fresh) plays with
// the decided jitter-buffer target plus one playout chunk. link and reverse are consumed.
func RunAdaptive(speech []float32, cfg AdaptConfig, link, reverse *netem.Link, rx *AdaptiveReceiver) (AdaptResult, error) {
	if reverse == nil {
		var err error
		if reverse, err = netem.NewLink(netem.LinkConfig{}, 0); err != nil {
			return AdaptResult{}, err
		}
	}
	st, err := LookupStrategy(StrategyAdapt)
	if err != nil {
		return AdaptResult{}, err
	}
	st.NewReceiver = func(Job) Receiver { return rx }
	return runStrategy(st, Job{Adapt: cfg}, speech, link, reverse, nil)
}
