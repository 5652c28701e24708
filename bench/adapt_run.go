package bench

import (
	"fmt"
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/internal/netem"
)

// AdaptConfig configures RunAdaptive. Zero fields take the defaults given.
type AdaptConfig struct {
	// Controller decides; nil builds one over the embedded model with the default policy.
	Controller *adapt.Controller
	// Every is the decision period (500 ms).
	Every time.Duration
	// FeedbackDelay is how long after a packet's arrival the sender learns of it (receiver
	// report interval plus the reverse path; 100 ms). The sender's tracker sees the receiver's
	// view as of FeedbackDelay ago, and an RTT sample once a second.
	FeedbackDelay time.Duration
	// Complexity is the Opus complexity (codecdefaults: 0 means the call default).
	Complexity int
}

// AdaptStep is one decision of an adaptive run.
type AdaptStep struct {
	At       time.Duration
	Decision adapt.Decision
}

// AdaptResult is an adaptive run's outcome: the pipeline result and the decisions made.
type AdaptResult struct {
	Result
	Steps   []AdaptStep
	Changes int // decisions that changed the settings
}

// feedback is an arrival waiting to be reported to the sender.
type feedback struct {
	visible, arrival, send time.Duration
	seq                    uint16
	size                   int
}

// RunAdaptive is Run with a sender whose settings (bitrate, frame size, FEC and loss hint, RED
// depth and low-rate copies) change every cfg.Every as the controller decides from delayed
// receiver feedback, and whose receiver (rx, fresh) plays with the decided jitter-buffer target
// (plus one playout chunk, as jitter's default policy adds). Run itself is unchanged.
func RunAdaptive(speech []float32, cfg AdaptConfig, link *netem.Link, rx *AdaptiveReceiver) (AdaptResult, error) {
	return runAdaptive(speech, cfg, link, rx, nil)
}

// runAdaptive is RunAdaptive, recording into tl when it is not nil.
func runAdaptive(speech []float32, cfg AdaptConfig, link *netem.Link, rx *AdaptiveReceiver, tl *Timeline) (AdaptResult, error) {
	return runAdaptiveRx(speech, cfg, link, rx, true, tl)
}

// runAdaptiveRx runs the adapt sender into rx; with follow, rx's target is the decided
// JitterTarget.
func runAdaptiveRx(speech []float32, cfg AdaptConfig, link *netem.Link, rx *AdaptiveReceiver, follow bool, tl *Timeline) (AdaptResult, error) {
	if cfg.Every <= 0 {
		cfg.Every = 500 * time.Millisecond
	}
	if cfg.FeedbackDelay <= 0 {
		cfg.FeedbackDelay = 100 * time.Millisecond
	}
	ctl := cfg.Controller
	if ctl == nil {
		var err error
		if ctl, err = adapt.NewController(nil, adapt.PolicyConfig{}); err != nil {
			return AdaptResult{}, fmt.Errorf("bench: %w", err)
		}
	}
	return runLoop(speech, loopConfig{
		policy:        &adaptPolicy{ctl: ctl, every: cfg.Every, fbWait: cfg.FeedbackDelay},
		feedbackDelay: cfg.FeedbackDelay,
		complexity:    cfg.Complexity,
		rx:            rx,
		follow:        follow,
		timeline:      tl,
	}, link)
}

// runAdaptiveNetEq is runAdaptive's sender with the NetEq-like receiver of the webrtc-like
// baseline: the buffer sets its own target and ignores the decided JitterTarget.
func runAdaptiveNetEq(speech []float32, cfg AdaptConfig, link *netem.Link, tl *Timeline) (AdaptResult, error) {
	return runAdaptiveRx(speech, cfg, link, webrtcReceiver(), false, tl)
}
