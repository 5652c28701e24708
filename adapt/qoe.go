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
	BurstRatio float64       // burst ratio of the concealment (≥ 1; 1 random)
	MouthToEar time.Duration // mean mouth-to-ear delay over the window
	// Interruptions counts runs of concealment of InterruptionMin or longer.
	Interruptions int
}

// QoE is the one per-window quality objective: the wideband E-model R of the outcome (the
// setting's own codec impairment Ie from the refit table, the concealed loss scored with the
// Bpl of the setting without recovery, since recovered frames are not in it, and the absolute
// delay impairment of the actual mouth-to-ear delay), less InterruptionR per interruption. It
// is used to label counterfactual rollouts for training, and by the policy's quality model
// (Score) as its forecast. Over a bitrate-only table the setting's table entry is used. It
// does not allocate; −Inf when the model cannot score the setting.
func (q *Quality) QoE(o *Outcome) float64 {
	s := &o.Settings
	var ie, bpl float64
	burstR := max(o.BurstRatio, 1)
	if q.refit != nil {
		full, ok := q.refitImpairment(s.BitrateBps, s.Frame, s.FEC, s.REDDepth, s.REDLowRateBps)
		if !ok {
			return math.Inf(-1)
		}
		plain, ok := q.refitImpairment(s.BitrateBps, s.Frame, false, 0, 0)
		if !ok {
			plain = full
		}
		ie, bpl = full.Ie, harmonicBpl(plain, burstR)
	} else {
		im := &q.imp[bitrateIndex(s.BitrateBps)]
		if s.FEC {
			im = &q.impFEC[bitrateIndex(s.BitrateBps)]
		}
		ie, bpl = im.Ie, im.Bpl(burstR)*frameBplFactor(max(s.Frame, 10*time.Millisecond))
	}
	ie = clamp(ie, 0, emodel.RmaxWideband)
	ppl := 100 * clamp(o.Concealed, 0, 1)
	frac := 0.0
	if ppl > 0 {
		frac = min(ppl/(ppl/burstR+max(bpl, 1)), 1)
	}
	ieEff := ie + (emodel.RmaxWideband-ie)*frac
	return emodel.R0Wideband - q.delayImpairment(o.MouthToEar) - ieEff - InterruptionR*float64(o.Interruptions)
}

// MouthToEar is the mouth-to-ear delay the quality model assumes for s over a path of base
// one-way delay oneWay: the fixed terminal delay, one frame, the path and the jitter target.
func (q *Quality) MouthToEar(s *Settings, oneWay time.Duration) time.Duration {
	return q.fixedDelay + max(s.Frame, 10*time.Millisecond) + oneWay + s.JitterTarget
}
