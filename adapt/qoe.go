package adapt

import (
	"math"
	"time"

	"github.com/parley-voice/parley/adapt/emodel"
)

// InterruptionMin is the least run of consecutive concealed audio counted as an interruption,
// and InterruptionR the R a window loses per interruption on top of the loss impairment: a
// dropout the listener notices as a gap in the conversation, which the E-model's loss term
// (a mean over the window) underweights.
const (
	InterruptionMin = 150 * time.Millisecond
	InterruptionR   = 10.0
)

// Outcome is what one window of a call actually delivered: the settings in force, the share of
// frames concealed (lost on the network or late for playout, and not recovered by FEC or RED),
// how bursty that concealment was, the mean mouth-to-ear delay and the interruptions.
type Outcome struct {
	Settings   Settings
	Concealed  float64       // fraction 0..1 of frames concealed
	MeanBurst  float64       // mean run of consecutive concealed frames (0 or 1: random)
	MouthToEar time.Duration // mean mouth-to-ear delay over the window
	// Interruptions counts runs of concealment of InterruptionMin or longer.
	Interruptions int
}

// QoE is the one per-window quality objective: emodel.ScoreCall's R for the outcome (Parley's
// measured codec table, the concealed audio as its loss, the actual mouth-to-ear delay: the
// call score the engine's Stats.MOS, the demo and the bench report), less InterruptionR per
// interruption. It labels the counterfactual rollouts the value model is trained on; the
// policy ranks candidates by the quality model's forecast of it (Score) plus that model's
// correction. −Inf when the E-model cannot score the outcome.
func QoE(o *Outcome) float64 {
	res, err := emodel.ScoreCall(emodel.Call{BitrateBps: o.Settings.BitrateBps, Frame: o.Settings.Frame,
		Loss: clamp(o.Concealed, 0, 1), MeanBurst: max(o.MeanBurst, 0), MouthToEar: o.MouthToEar})
	if err != nil {
		return math.Inf(-1)
	}
	return max(res.R, -200) - InterruptionR*float64(o.Interruptions)
}

// MouthToEar is the mouth-to-ear delay the quality model assumes for s over a path of base
// one-way delay oneWay: emodel.MouthToEar of the path, the jitter target and the frame.
func MouthToEar(s *Settings, oneWay time.Duration) time.Duration {
	return emodel.MouthToEar(oneWay, s.JitterTarget, max(s.Frame, 10*time.Millisecond))
}
