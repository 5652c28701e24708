package adapt

import (
	"fmt"
	"time"
)

// Controller is the whole adaptation loop of one call: a Tracker fed with packets (on the
// receiver, or on the sender from receiver feedback), a Predictor and a Policy. Call Decide
// every 0.5–1 s with the current time. Not safe for concurrent use.
type Controller struct {
	Tracker   *Tracker
	Predictor *Predictor
	Policy    *Policy

	last Prediction
}

// NewController builds a controller over model (nil: DefaultModel) with the policy configured by
// cfg.
func NewController(model *Model, cfg PolicyConfig) (*Controller, error) {
	if model == nil {
		var err error
		if model, err = DefaultModel(); err != nil {
			return nil, fmt.Errorf("adapt: embedded model: %w", err)
		}
	}
	pr, err := NewPredictor(model)
	if err != nil {
		return nil, err
	}
	po, err := NewPolicy(cfg)
	if err != nil {
		return nil, err
	}
	return &Controller{Tracker: NewTracker(0), Predictor: pr, Policy: po}, nil
}

// Decide snapshots the tracker at now, predicts and decides. It does not allocate.
func (c *Controller) Decide(now time.Duration) Decision {
	f := c.Tracker.Features(now)
	c.last = c.Predictor.Predict(&f)
	return c.Policy.Decide(now, &f, c.last)
}

// LastPrediction is the prediction the last Decide used.
func (c *Controller) LastPrediction() Prediction { return c.last }

// Overuse reports whether the tracker's snapshot at now shows this call's packets queueing at a
// bottleneck (see the package function Overuse), changing nothing: a driver asks between
// decisions so that a capacity drop is answered on the feedback that shows it. It does not
// allocate.
func (c *Controller) Overuse(now time.Duration) bool {
	f := c.Tracker.Features(now)
	return Overuse(&f)
}
