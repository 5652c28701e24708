package media

import (
	"fmt"
	"time"

	"github.com/parley-voice/parley/adapt"
)

// The default policy's periods.
const (
	// DecideEvery is AdaptPolicy's decision period.
	DecideEvery = 500 * time.Millisecond
	// FeedbackStale is how long after the latest feedback message AdaptPolicy starts counting
	// the silence as the path's (two intervals: one message may be lost).
	FeedbackStale = 2 * FeedbackInterval
	// IdleAfter is how long after the last packet sent (silence under DTX, mute) AdaptPolicy
	// stops deciding: with nothing sent, feedback stops, and the gap says nothing of the path.
	IdleAfter = 2 * time.Second
	// UrgentAfter is the least time between a decision and an urgent one (see AdaptPolicy's
	// Urgent): one tick; Urgent also asks at most once per feedback message.
	UrgentAfter = Tick
)

// AdaptPolicy is the default Policy: an adapt.Controller (feature tracker, learned predictor,
// quality-model policy with its rule ladder) whose tracker sees the receiver's view of the
// packets sent, decided every DecideEvery, and at once when a feedback message shows over-use
// (Urgent). Not safe for concurrent use; nothing allocates.
type AdaptPolicy struct {
	ctl *adapt.Controller

	lastSend    time.Duration
	sending     bool
	haveFB      bool
	reportAt    time.Duration // the latest feedback's making, on the sender's clock
	reportLocal time.Duration // when it arrived
	decidedAt   time.Duration
	decideLocal time.Duration // when Decide last decided (sender clock)
	fresh       bool          // feedback arrived since the last over-use check

	st AdaptState
}

// AdaptState is what AdaptPolicy decided last, for statistics.
type AdaptState struct {
	// Decisions counts the decisions made, Changes those that changed the settings.
	Decisions, Changes uint64
	// Last is the last decision and Prediction the prediction it used.
	Last       adapt.Decision
	Prediction adapt.Prediction
}

// NewAdaptPolicy returns the default policy over ctl (nil: the embedded model with cfg).
func NewAdaptPolicy(ctl *adapt.Controller, cfg adapt.PolicyConfig) (*AdaptPolicy, error) {
	if ctl == nil {
		var err error
		if ctl, err = adapt.NewController(nil, cfg); err != nil {
			return nil, fmt.Errorf("%w: adapt policy: %w", ErrConfig, err)
		}
	}
	p := &AdaptPolicy{ctl: ctl}
	p.st.Last.Settings = ctl.Policy.Current()
	return p, nil
}

// Controller is the policy's adapt controller.
func (p *AdaptPolicy) Controller() *adapt.Controller { return p.ctl }

// State returns what the policy decided last.
func (p *AdaptPolicy) State() AdaptState { return p.st }

// Initial implements Policy: the controller's initial settings.
func (p *AdaptPolicy) Initial() Settings { return FromAdapt(p.ctl.Policy.Current()) }

// Period implements Policy: DecideEvery.
func (p *AdaptPolicy) Period() time.Duration { return DecideEvery }

// OnSend implements Policy.
func (p *AdaptPolicy) OnSend(at time.Duration, _ uint16, wireBytes int) {
	p.ctl.Tracker.OnSend(at, wireBytes)
	p.lastSend, p.sending = at, true
}

// OnFeedback implements Policy: every arrival goes to the tracker.
func (p *AdaptPolicy) OnFeedback(f *Feedback) {
	p.haveFB = true
	for _, a := range f.Arrivals {
		p.ctl.Tracker.OnPacket(a.Arrived, a.Sent, a.Seq, a.WireBytes)
	}
	if f.Made >= p.reportAt {
		p.reportAt, p.reportLocal = f.Made, f.Arrived
	}
	p.fresh = true
}

// Urgent implements Urgent: a decision is due at once when feedback that arrived since the last
// check shows over-use (adapt.Overuse on the receiver's view as of that feedback), at most once
// per message and not within UrgentAfter of the last decision. A queue that fills in a few
// hundred milliseconds is then answered on the feedback that shows it, not up to DecideEvery
// later.
func (p *AdaptPolicy) Urgent(now time.Duration) bool {
	if !p.fresh || now-p.decideLocal < UrgentAfter || !p.sending || now-p.lastSend > FeedbackStale {
		return false
	}
	p.fresh = false
	return p.ctl.Overuse(max(p.reportAt, p.decidedAt))
}

// OnRTT implements Policy.
func (p *AdaptPolicy) OnRTT(at, rtt time.Duration) { p.ctl.Tracker.OnRTT(at, rtt) }

// Decide implements Policy. It decides only once feedback has arrived and while packets are
// being sent. The time given to the controller is the receiver's view as of its latest
// feedback (arrivals up to it are known; a later time would show the feedback interval as a
// delivery gap), advanced by the time since it arrived beyond FeedbackStale while the sender
// keeps sending: a path that stops delivering shows as a growing gap.
func (p *AdaptPolicy) Decide(now time.Duration) (Decision, bool) {
	if !p.haveFB || !p.sending || now-p.lastSend > IdleAfter {
		return Decision{}, false
	}
	ahead := max(now-p.reportLocal-FeedbackStale, 0)
	if now-p.lastSend > FeedbackStale {
		ahead = 0 // the sender has been silent (DTX, mute): the gap in arrivals is its own
	}
	at := max(p.reportAt+ahead, p.decidedAt)
	p.decidedAt, p.decideLocal, p.fresh = at, now, false
	d := p.ctl.Decide(at)
	p.st.Last, p.st.Prediction = d, p.ctl.LastPrediction()
	p.st.Decisions++
	if d.Changed {
		p.st.Changes++
	}
	return Decision{Settings: FromAdapt(d.Settings), JitterTarget: d.JitterTarget}, true
}
