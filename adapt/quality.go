package adapt

import (
	"fmt"
	"math"
	"time"

	"github.com/parley-voice/parley/adapt/emodel"
)

// Quality-model assumptions that are ours, not the E-model's. They apply only to the model over
// a bitrate-only table such as emodel.OpusTable (NewQuality with a table); the default model
// over the refit table (emodel.ParleyOpusTable) measures FEC, RED and frame-size effects
// instead:
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
	// Loss is the loss the E-model was given. Over the refit table (the default) that is the
	// network loss plus the late loss, before recovery: the table's Bpl accounts for FEC and
	// RED. Over a bitrate-only table it is the post-buffer loss: network and late loss left
	// after recovery, with recovered frames weighted by how imperfect their recovery is.
	Loss float64
}

// Quality scores settings under conditions with the E-model (G.107/G.107.1) and an Opus
// impairment table: by default the per-setting table refit from Parley's own PESQ-WB sweeps
// (emodel.ParleyOpusTable), or a bitrate-only table (emodel.OpusTable) with our FEC/RED/frame
// assumptions. Immutable after construction; safe for concurrent use. Score does not allocate.
type Quality struct {
	table       *emodel.Table
	refit       *emodel.SettingTable
	fixedDelay  time.Duration
	idd         [iddTableMax + 1]float64
	imp, impFEC [len(Bitrates)]emodel.Impairment
	// rimp[bitrate][frame][fec][red depth][low] is the refit table's impairment of a policy
	// setting (low 1: copies at DefaultLowRateBps), rok whether the table covers it.
	rimp [len(Bitrates)][len(Frames)][2][MaxREDDepth + 1][2]emodel.Impairment
	rok  [len(Bitrates)][len(Frames)][2][MaxREDDepth + 1][2]bool
}

// NewQuality builds a quality model with fixedDelay the part of the mouth-to-ear delay that no
// setting changes (capture, look-ahead, decoding, playout device; ≥ 0). With a nil table it
// uses the refit per-setting table emodel.ParleyOpusTable (NewRefitQuality); with a table
// (e.g. emodel.OpusTable, VBR) it scores the bitrate from the table and FEC, RED and frame
// size with the assumptions above.
func NewQuality(table *emodel.Table, fixedDelay time.Duration) (*Quality, error) {
	if table == nil {
		rt, err := emodel.ParleyOpusTable()
		if err != nil {
			return nil, fmt.Errorf("%w: refit table: %v", ErrConfig, err)
		}
		return NewRefitQuality(rt, fixedDelay)
	}
	q, err := newQuality(fixedDelay)
	if err != nil {
		return nil, err
	}
	q.table = table
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

// newQuality checks fixedDelay and fills the delay-impairment table.
func newQuality(fixedDelay time.Duration) (*Quality, error) {
	if fixedDelay < 0 {
		return nil, fmt.Errorf("%w: fixed delay %v", ErrConfig, fixedDelay)
	}
	q := &Quality{fixedDelay: fixedDelay}
	for i := range q.idd {
		q.idd[i] = emodel.DelayImpairment(time.Duration(i) * time.Millisecond)
	}
	return q, nil
}

// NewRefitQuality builds a quality model over a per-setting table refit from PESQ sweeps (see
// emodel.ParleyOpusTable and `parley bench refit`): a setting's Ie and its Bpl, which includes
// its FEC/RED recovery, come from the table (interpolated in bitrate), and the E-model is given
// the network loss before recovery. The policy considers only settings the table covers
// (Covers). fixedDelay is as for NewQuality.
func NewRefitQuality(table *emodel.SettingTable, fixedDelay time.Duration) (*Quality, error) {
	if table == nil {
		return nil, fmt.Errorf("%w: nil refit table", ErrConfig)
	}
	q, err := newQuality(fixedDelay)
	if err != nil {
		return nil, err
	}
	q.refit = table
	for bi, b := range Bitrates {
		for fi, fr := range Frames {
			for fec := range 2 {
				for red := range MaxREDDepth + 1 {
					for low := range 2 {
						k := emodel.SettingKey{BitrateBps: b, Frame: fr, FEC: fec == 1, REDDepth: red}
						if low == 1 {
							if red == 0 {
								continue
							}
							k.REDLowRateBps = DefaultLowRateBps
						}
						if !table.Has(k) {
							continue
						}
						im, err := table.Impairment(k)
						if err != nil {
							return nil, fmt.Errorf("%w: refit table: %v", ErrConfig, err)
						}
						q.rimp[bi][fi][fec][red][low], q.rok[bi][fi][fec][red][low] = im, true
					}
				}
			}
		}
	}
	if !q.rok[0][0][0][0][0] {
		return nil, fmt.Errorf("%w: refit table %q lacks plain 20 ms Opus", ErrConfig, table.Version())
	}
	return q, nil
}

// TableVersion is the version label of the impairment table the model scores with.
func (q *Quality) TableVersion() string {
	if q.refit != nil {
		return q.refit.Version()
	}
	return q.table.Version()
}

// Covers reports whether the model can score s's codec settings: always over a bitrate-only
// table; over a refit table, when it has s's frame, FEC, RED depth and low rate.
func (q *Quality) Covers(s *Settings) bool {
	if q.refit == nil {
		return true
	}
	_, ok := q.refitImpairment(s.BitrateBps, s.Frame, s.FEC, s.REDDepth, s.REDLowRateBps)
	return ok
}

// refitImpairment is the refit table's impairment of a setting: from the precomputed grid when
// the setting is on it, else looked up (without allocating unless the table lacks it).
func (q *Quality) refitImpairment(bitrate int, frame time.Duration, fec bool, red, lowRate int) (*emodel.Impairment, bool) {
	if g, ok := q.gridIndex(bitrate, frame, lowRate); ok {
		return q.gridImpairment(g, fec, red)
	}
	return q.lookupImpairment(bitrate, frame, fec, red, lowRate)
}

// gridPos is a setting's place on the precomputed grid: bitrate and frame index, and whether
// RED copies are low-rate.
type gridPos struct{ bi, fi, low int }

// gridIndex places a bitrate, frame and low rate on the grid.
func (q *Quality) gridIndex(bitrate int, frame time.Duration, lowRate int) (gridPos, bool) {
	var g gridPos
	switch frame {
	case Frames[0]:
		g.fi = 0
	case Frames[1]:
		g.fi = 1
	case Frames[2]:
		g.fi = 2
	default:
		return g, false
	}
	g.bi = bitrateIndex(bitrate)
	switch {
	case Bitrates[g.bi] != bitrate:
		return g, false
	case lowRate == DefaultLowRateBps:
		g.low = 1
	case lowRate != 0:
		return g, false
	}
	return g, true
}

// gridImpairment is the precomputed impairment at g with fec and RED depth red.
func (q *Quality) gridImpairment(g gridPos, fec bool, red int) (*emodel.Impairment, bool) {
	if red < 0 || red > MaxREDDepth {
		return nil, false
	}
	f, l := 0, g.low
	if fec {
		f = 1
	}
	if red == 0 {
		l = 0
	}
	return &q.rimp[g.bi][g.fi][f][red][l], q.rok[g.bi][g.fi][f][red][l]
}

// lookupImpairment looks a setting off the grid up in the refit table.
func (q *Quality) lookupImpairment(bitrate int, frame time.Duration, fec bool, red, lowRate int) (*emodel.Impairment, bool) {
	if red == 0 {
		lowRate = 0
	}
	k := emodel.SettingKey{BitrateBps: bitrate, Frame: frame, FEC: fec, REDDepth: red, REDLowRateBps: lowRate}
	if bitrate <= 0 || !q.refit.Has(k) {
		return nil, false
	}
	im, err := q.refit.Impairment(k)
	if err != nil {
		return nil, false
	}
	return &im, true
}

// refitScore is score over the refit table. The setting's Ie is its own; its recovery counts
// only as far as the jitter target leaves time for the copies to arrive at the delay p95 (RED
// depth min(depth, (target − p95)/frame), FEC when target − p95 is at least a frame), so the
// Bpl is that of the setting with the reachable recovery. Late packets are taken as unrecoverable (a copy
// travels right behind its late primary): they are scored with the Bpl of the setting without
// recovery, added to the network-loss term.
func (q *Quality) refitScore(s *Settings, c *Conditions, lateFraction float64, mos bool) Score {
	g, onGrid := q.gridIndex(s.BitrateBps, s.Frame, s.REDLowRateBps)
	return q.refitScoreAt(g, onGrid, s, c, lateFraction, mos)
}

// refitScoreAt is refitScore with s's place on the grid given (onGrid false: off the grid).
func (q *Quality) refitScoreAt(g gridPos, onGrid bool, s *Settings, c *Conditions, lateFraction float64, mos bool) Score {
	fail := Score{R: math.Inf(-1), MOS: 1, Loss: c.Loss}
	imp := func(fec bool, red int) (*emodel.Impairment, bool) {
		if onGrid {
			return q.gridImpairment(g, fec, red)
		}
		return q.lookupImpairment(s.BitrateBps, s.Frame, fec, red, s.REDLowRateBps)
	}
	if s.DRED > 0 && s.REDDepth == 0 {
		plain, ok := imp(false, 0)
		if !ok {
			return fail
		}
		var fec *emodel.Impairment
		if s.FEC {
			if fec, ok = imp(true, 0); !ok {
				return fail
			}
		}
		return q.dredScore(plain, fec, s, c, lateFraction, mos)
	}
	// A RED depth beyond the table's is scored as the deepest it has (an underestimate).
	red := s.REDDepth
	full, ok := imp(s.FEC, red)
	for !ok && red > 0 {
		red--
		full, ok = imp(s.FEC, red)
	}
	if !ok {
		return fail
	}
	frame := max(s.Frame, 10*time.Millisecond)
	// A copy d frames behind its primary counts when it arrives in time at the delay p95.
	reach := s.JitterTarget - max(c.DelayP95, 0)
	depth := min(red, max(int(reach/frame), 0))
	fec := s.FEC && reach >= frame
	rec := full
	if depth != red || fec != s.FEC {
		if rec, ok = imp(fec, depth); !ok {
			return fail
		}
	}
	plain, ok := imp(false, 0)
	if !ok {
		plain = rec
	}
	loss := clamp(c.Loss, 0, 1)
	late := clamp(lateFraction*(1-loss), 0, 1)
	burstR := max(1, max(c.MeanBurst, 1)*(1-loss-late))
	term := func(im *emodel.Impairment, p float64) float64 {
		ppl := 100 * p
		if ppl <= 0 {
			return 0
		}
		return ppl / (ppl/burstR + harmonicBpl(im, burstR))
	}
	frac := term(rec, loss) + term(plain, late)
	if depth > 0 {
		// RED copies rebuild only the last depth frames of a loss run, as DRED rebuilds its
		// reach (dredScore): the loss left over by runs longer than that, at the plain
		// setting's robustness, bounds the fitted row from below. The rows were fitted at
		// mean bursts up to 2.5, and beyond it they went on crediting RED with runs it
		// cannot rebuild: at 20 % loss in runs of 3.5 they scored three copies at 10 kb/s
		// above DRED at 32 kb/s, which measured 0.2 PESQ-WB and 0.8 MOS better.
		left := loss * (1 - runShare(depth, c.MeanBurst))
		frac = max(frac, term(plain, left)+term(plain, late))
	}
	frac = min(frac, 1)
	return q.scoreIe(clamp(full.Ie, 0, emodel.RmaxWideband), frac, frame, s, c, loss+late, mos)
}

// scoreIe finishes a score from the codec's impairment ie (0 to RmaxWideband) and frac, the
// share of the remaining R the loss takes (the E-model's Ppl/(Ppl/BurstR + Bpl) term), with the
// delay of frame and s's jitter target under c; loss is reported in Score.Loss, and the MOS
// filled in when mos.
func (q *Quality) scoreIe(ie, frac float64, frame time.Duration, s *Settings, c *Conditions, loss float64, mos bool) Score {
	ieEff := ie + (emodel.RmaxWideband-ie)*frac
	ta := q.fixedDelay + frame + c.OneWay + s.JitterTarget
	r := emodel.R0Wideband - q.delayImpairment(ta) - ieEff
	sc := Score{R: r, MouthToEar: ta, Loss: loss}
	if mos {
		sc.MOS = emodel.Wideband.MOS(r)
	}
	return sc
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
	for j := len(Bitrates) - 1; j > 0; j-- {
		if Bitrates[j] <= b {
			return j
		}
	}
	return 0
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
	if q.refit != nil {
		return q.refitScore(s, c, lateFraction, mos)
	}
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

// harmonicBpl is im's Bpl at burst ratio burstR, interpolated between BplRandom (BurstR 1) and
// BplBursty (BurstR ≥ emodel.BurstyReference) linearly in 1/Bpl, the loss term's slope: a
// refit RED curve can have a random-loss Bpl of 1000 (the fit's bound, random losses all
// recovered) and a bursty one of 50, and a linear mix in Bpl would make moderately bursty loss
// look nearly free.
func harmonicBpl(im *emodel.Impairment, burstR float64) float64 {
	br, bb := max(im.BplRandom, 1), max(im.BplBursty, 1)
	switch {
	case !(burstR > 1):
		return br
	case burstR >= emodel.BurstyReference:
		return bb
	}
	f := (burstR - 1) / (emodel.BurstyReference - 1)
	return 1 / ((1-f)/br + f/bb)
}
