package adapt

import (
	"fmt"
	"math"
	"time"

	"github.com/parley-voice/parley/adapt/emodel"
)

// Quality-model assumptions that are ours, not the E-model's (they are not yet refit from the
// bench codec PESQ sweep):
const (
	// fecShare is the part of the bitrate Opus spends on in-band FEC when it is on: the primary
	// encoding is scored at (1−fecShare)·bitrate.
	fecShare = 0.2
	// fecWeight and lowRateWeight are how much of a lost frame's impairment remains when it is
	// recovered by in-band FEC or by a low-rate RED copy (0 would be a perfect recovery).
	fecWeight     = 0.3
	lowRateWeight = 0.2
	// frameBplExponent scales Bpl by (20 ms / frame)^x: a lost 60 ms frame is a longer gap for
	// the concealment than a lost 20 ms one.
	frameBplExponent = 0.3
	// iddTableMax bounds the precomputed delay-impairment table (1 ms steps).
	iddTableMax = 2000
)

// Conditions are the network conditions a setting is scored under: the predicted (or measured)
// loss, burstiness and delay distribution, and the base one-way delay.
type Conditions struct {
	OneWay    time.Duration // base one-way network delay (e.g. RTT/2)
	Loss      float64       // network loss fraction 0..1
	MeanBurst float64       // mean loss-run length in packets, ≥ 1
	// DelayP50, DelayP95, DelayP99 are quantiles of the one-way delay above the base.
	DelayP50, DelayP95, DelayP99 time.Duration
}

// ConditionsFrom turns a prediction and the base one-way delay into Conditions.
func ConditionsFrom(p Prediction, oneWay time.Duration) Conditions {
	return Conditions{OneWay: oneWay, Loss: p.Loss, MeanBurst: p.MeanBurst,
		DelayP50: p.DelayP50, DelayP95: p.DelayP95, DelayP99: p.DelayP99}
}

// LateFraction is the fraction 0..1 of packets whose delay above the base exceeds target, from
// the quantiles: piecewise linear through (0, 1), (p50, 0.5), (p95, 0.05), (p99, 0.01), then an
// exponential tail falling fivefold every p99−p95 (at least 2 ms).
func (c *Conditions) LateFraction(target time.Duration) float64 {
	x := target.Seconds()
	pts := [4][2]float64{{0, 1}, {c.DelayP50.Seconds(), 0.5}, {c.DelayP95.Seconds(), 0.05}, {c.DelayP99.Seconds(), 0.01}}
	if x <= 0 {
		return 1
	}
	for i := 1; i < len(pts); i++ {
		x0, y0, x1, y1 := pts[i-1][0], pts[i-1][1], pts[i][0], pts[i][1]
		if x < x1 {
			if x1 <= x0 {
				return y1
			}
			return y0 + (y1-y0)*(x-x0)/(x1-x0)
		}
	}
	const ln5 = 1.6094379124341003
	tau := max(c.DelayP99.Seconds()-c.DelayP95.Seconds(), 0.002) / ln5
	return 0.01 * math.Exp(-(x-c.DelayP99.Seconds())/tau)
}

// Score is a setting's predicted quality.
type Score struct {
	R, MOS     float64
	MouthToEar time.Duration
	// Loss is the post-buffer loss the E-model was given: network and late loss left after
	// recovery, with recovered frames weighted by how imperfect their recovery is.
	Loss float64
}

// Quality scores settings under conditions with the E-model (G.107/G.107.1) and an Opus
// impairment table. Immutable after NewQuality; safe for concurrent use. Score does not allocate.
type Quality struct {
	table       *emodel.Table
	fixedDelay  time.Duration
	idd         [iddTableMax + 1]float64
	imp, impFEC [len(Bitrates)]emodel.Impairment
}

// NewQuality builds a quality model over table (nil: emodel.OpusTable, VBR) with fixedDelay the
// part of the mouth-to-ear delay that no setting changes (capture, look-ahead, decoding, playout
// device; ≥ 0).
func NewQuality(table *emodel.Table, fixedDelay time.Duration) (*Quality, error) {
	if table == nil {
		table = emodel.OpusTable()
	}
	if fixedDelay < 0 {
		return nil, fmt.Errorf("%w: fixed delay %v", ErrConfig, fixedDelay)
	}
	q := &Quality{table: table, fixedDelay: fixedDelay}
	for i := range q.idd {
		q.idd[i] = emodel.DelayImpairment(time.Duration(i) * time.Millisecond)
	}
	for i, b := range Bitrates {
		var err error
		if q.imp[i], err = table.Lookup(emodel.VBR, b); err != nil {
			return nil, fmt.Errorf("%w: impairment table: %v", ErrConfig, err)
		}
		if q.impFEC[i], err = table.Impairment(q.imp[i].Band, emodel.VBR, int(float64(b)*(1-fecShare))); err != nil {
			return nil, fmt.Errorf("%w: impairment table: %v", ErrConfig, err)
		}
	}
	return q, nil
}

// delayImpairment is Idd from the table (1 ms resolution), beyond it computed.
func (q *Quality) delayImpairment(ta time.Duration) float64 {
	ms := int(ta / time.Millisecond)
	if ms < 0 {
		return 0
	}
	if ms > iddTableMax {
		return emodel.DelayImpairment(ta)
	}
	return q.idd[ms]
}

// bitrateIndex is the index in Bitrates of the largest bitrate ≤ b (0 below the first).
func bitrateIndex(b int) int {
	i := 0
	for j, v := range Bitrates {
		if v <= b {
			i = j
		}
	}
	return i
}

// Score rates s under c. The jitter target is s.JitterTarget; recovery by FEC or RED counts only
// as far as the target leaves time for the copies to arrive (a copy j frames later needs a
// target of j frames).
func (q *Quality) Score(s *Settings, c *Conditions) Score {
	return q.score(s, c, c.LateFraction(s.JitterTarget), true)
}

// score is Score with the late fraction at s.JitterTarget given, and MOS computed only when
// mos is set (R alone ranks settings).
func (q *Quality) score(s *Settings, c *Conditions, lateFraction float64, mos bool) Score {
	bi := bitrateIndex(s.BitrateBps)
	im := &q.imp[bi]
	if s.FEC {
		im = &q.impFEC[bi]
	}
	frame := max(s.Frame, 10*time.Millisecond)
	depth, weight := 0, 0.0
	switch {
	case s.REDDepth > 0:
		depth = s.REDDepth
		if s.REDLowRateBps > 0 {
			weight = lowRateWeight
		}
	case s.FEC:
		depth, weight = 1, fecWeight
	}
	depth = min(depth, int(s.JitterTarget/frame))

	burst := max(c.MeanBurst, 1)
	loss := clamp(c.Loss, 0, 1)
	// A run of L lost packets leaves max(L−depth, 0) frames unrecovered; for geometric runs of
	// mean b that is the fraction (1−1/b)^depth of the lost frames.
	unrecovered := loss
	for range depth {
		unrecovered *= 1 - 1/burst
	}
	late := lateFraction * (1 - loss)
	post := clamp(unrecovered+weight*(loss-unrecovered)+late, 0, 0.99)
	burstR := max(1, burst*(1-post))
	bpl := im.Bpl(burstR) * frameBplFactor(frame)
	ieEff, err := emodel.LossImpairment(im.Band, im.Ie, max(bpl, 1), post, burstR)
	if err != nil {
		return Score{R: math.Inf(-1), MOS: 1, Loss: post}
	}
	ta := q.fixedDelay + frame + c.OneWay + s.JitterTarget
	r0 := emodel.R0Wideband
	if im.Band == emodel.Narrowband {
		r0 = emodel.R0Narrowband
	}
	r := r0 - q.delayImpairment(ta) - ieEff
	sc := Score{R: r, MouthToEar: ta, Loss: post}
	if mos {
		sc.MOS = im.Band.MOS(r)
	}
	return sc
}

// frameBplFactor is (20 ms / frame)^frameBplExponent, precomputed for the policy's frames.
func frameBplFactor(frame time.Duration) float64 {
	switch frame {
	case 20 * time.Millisecond:
		return 1
	case 40 * time.Millisecond:
		return 0.8122523963562355 // 0.5^0.3
	case 60 * time.Millisecond:
		return 0.7192230933248644 // (1/3)^0.3
	}
	return math.Pow(float64(20*time.Millisecond)/float64(frame), frameBplExponent)
}
