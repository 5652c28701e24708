package adapt

import (
	"fmt"
	"math"
	"time"

	"github.com/parley-voice/parley/adapt/emodel"
)

// Policy defaults.
const (
	DefaultFixedDelay    = emodel.FixedDelay // capture, look-ahead, decoding, playout device
	DefaultOverheadBytes = 50                // IPv4 20 + UDP 8 + RTP 12 + SRTP tag 10
	DefaultHeadroom      = 0.85
	DefaultLowRateBps    = 8000
	DefaultMaxPayloadBps = 48000
	DefaultRMargin       = 2.0
	DefaultMinHold       = 500 * time.Millisecond
	DefaultTargetMargin  = 20 * time.Millisecond
	DefaultTargetMaxDrop = 10 * time.Millisecond
	DefaultMinTarget     = 10 * time.Millisecond
	DefaultMaxTarget     = 400 * time.Millisecond
	// targetStep is the resolution of the jitter-target search.
	targetStep = 5 * time.Millisecond
	// defaultOneWay is assumed before any RTT is known.
	defaultOneWay = 50 * time.Millisecond
)

// PolicyConfig configures a Policy. Every zero field means its default.
type PolicyConfig struct {
	Quality       *Quality // nil: NewQuality(nil, DefaultFixedDelay)
	OverheadBytes int      // per-packet bytes beyond the payload (DefaultOverheadBytes)
	// Headroom is the fraction 0..1 of the predicted sustainable rate the settings may use.
	Headroom float64
	// LowRateBps is the bitrate of low-rate RED copies (DefaultLowRateBps).
	LowRateBps int
	// MaxPayloadBps caps the payload rate (primary, RED copies and headers, bit/s) whatever
	// the path could carry (DefaultMaxPayloadBps): redundancy beyond it buys little.
	MaxPayloadBps int
	// RMargin is how much better (in R points, about 0.07 MOS on the wideband scale) a setting
	// must score to replace the current one, and MinHold how long the current one is kept at
	// least, unless it no longer fits the rate.
	RMargin float64
	MinHold time.Duration
	// TargetMargin is the least change of the jitter target worth making, and TargetMaxDrop
	// the most it may fall per decision (it may rise at once): a buffer that shrinks fast
	// speeds speech up audibly and is caught out by the next delay spike.
	TargetMargin, TargetMaxDrop time.Duration
	// MinTarget and MaxTarget bound the jitter target.
	MinTarget, MaxTarget time.Duration
	// Initial is the setting before the first decision (zero: 32 kb/s, 20 ms, no FEC or RED,
	// 40 ms target, the ladder's floor).
	Initial Settings
	// Hold is the least time between two changes of the settings that the path does not
	// force (DefaultHold; the default decision only).
	Hold time.Duration
	// Legacy selects the decision before issue 13 (the predictor's rate with the fast path,
	// MinHold, and the rule ladder whenever a prediction is not trusted), for comparison.
	Legacy bool
	// NoPredictor makes the default decision ignore the learned predictor: the conditions
	// come from the measured windows only.
	NoPredictor bool
	// Learned adds the learned correction of the quality model's score (the value model
	// trained from counterfactual rollouts: Value, nil meaning DefaultValueModel) to the
	// default decision. Off by default: on the bench it has not beaten the quality model
	// alone (issue 13's closing note has the figures).
	Learned bool
	Value   *ValueModel
	// TargetFloor makes the default decision's JitterTarget a floor for a receiver that keeps
	// its own delay estimate (the NetEq-like buffer) and plays at the larger of the two: the
	// least target at which the setting's FEC or RED copies arrive in time, when waiting for
	// them pays, else 0.
	TargetFloor bool
	// DRED lets the policy send Deep REDundancy (libopus 1.5; see dred.go) where the quality
	// model scores it best: set it when the sender's libopus has DRED and the receiver rebuilds
	// lost frames from it (the engine's receiver does whenever its libopus has DRED). Off: no
	// setting with DRED is chosen.
	DRED bool
}

func (c *PolicyConfig) defaults() error {
	if c.Quality == nil {
		q, err := NewQuality(nil, DefaultFixedDelay)
		if err != nil {
			return err
		}
		c.Quality = q
	}
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if c.OverheadBytes == 0 {
		c.OverheadBytes = DefaultOverheadBytes
	}
	if c.LowRateBps == 0 {
		c.LowRateBps = DefaultLowRateBps
	}
	if c.MaxPayloadBps == 0 {
		c.MaxPayloadBps = DefaultMaxPayloadBps
	}
	def(&c.Headroom, DefaultHeadroom)
	def(&c.RMargin, DefaultRMargin)
	defD(&c.MinHold, DefaultMinHold)
	defD(&c.TargetMargin, DefaultTargetMargin)
	defD(&c.TargetMaxDrop, DefaultTargetMaxDrop)
	defD(&c.MinTarget, DefaultMinTarget)
	defD(&c.MaxTarget, DefaultMaxTarget)
	defD(&c.Hold, DefaultHold)
	if c.Value == nil && c.Learned {
		v, err := DefaultValueModel()
		if err != nil {
			return err
		}
		c.Value = v
	}
	if c.Initial == (Settings{}) {
		c.Initial = Settings{BitrateBps: 32000, Frame: 20 * time.Millisecond, JitterTarget: ladderBaseline}
	}
	switch {
	case c.OverheadBytes < 0:
		return fmt.Errorf("%w: OverheadBytes %d", ErrConfig, c.OverheadBytes)
	case !(c.Headroom > 0 && c.Headroom <= 1):
		return fmt.Errorf("%w: Headroom %v (want 0..1)", ErrConfig, c.Headroom)
	case c.MaxPayloadBps < MinBitrateBps:
		return fmt.Errorf("%w: MaxPayloadBps %d (want ≥ %d)", ErrConfig, c.MaxPayloadBps, MinBitrateBps)
	case c.LowRateBps < MinBitrateBps || c.LowRateBps > MaxBitrateBps:
		return fmt.Errorf("%w: LowRateBps %d", ErrConfig, c.LowRateBps)
	case c.RMargin < 0 || c.MinHold < 0 || c.TargetMargin < 0 || c.TargetMaxDrop < 0 || c.Hold < 0:
		return fmt.Errorf("%w: negative hysteresis", ErrConfig)
	case c.MinTarget < 0 || c.MaxTarget < c.MinTarget:
		return fmt.Errorf("%w: jitter target bounds %v..%v", ErrConfig, c.MinTarget, c.MaxTarget)
	}
	return c.Initial.Validate()
}

// Decision is one output of the policy.
type Decision struct {
	Settings
	Score   Score   // the setting's predicted quality under the conditions used
	WireBps float64 // the setting's wire rate, bit/s
	// LimitBps is the rate budget: the default decision's delay-gradient rate estimate; the
	// legacy decision's Headroom × predicted sustainable rate (0 when its ladder decided).
	LimitBps float64
	// Fallback is set when the prediction was not trusted: the default decision then scored
	// the settings on the measured conditions alone, the legacy decision let its rule ladder
	// decide (Rung is the ladder's rung, see Rung*).
	Fallback bool
	Rung     int
	Changed  bool // the settings differ from the previous decision's
}

// Rungs of the fallback ladder, in order of severity.
const (
	RungPlain = iota // measured loss below 1 %: no redundancy
	RungFEC          // ≥ 1 %: in-band FEC with the measured loss as hint
	RungRED1         // ≥ 2 %: 2-frame redundancy (RED depth 1)
	RungRED2         // ≥ 5 %: 3-frame redundancy
	RungRED3         // ≥ 8 %: 4-frame redundancy
	RungFloor        // RED3 and a higher jitter-buffer floor (loss ≥ 8 % with high delay spread)
)

// Policy picks the settings that maximise the predicted quality within the sustainable rate,
// with hysteresis. By default (steady.go) the rate is a delay-gradient estimate, the conditions
// are the measured windows joined with the learned predictor's forecast while it is trusted
// (with hysteresis on that switch), and, with PolicyConfig.Learned, a correction learned from
// counterfactual rollouts (ValueModel) refines the quality model's ranking. With PolicyConfig.Legacy it is the decision
// before issue 13: the predictor's rate, and a rule ladder whenever a prediction is not
// trusted. The clock is the now given to Decide. Decide does not allocate. Not safe for
// concurrent use.
type Policy struct {
	// lateTab[i] is the late fraction at a target of i·targetStep under the conditions of the
	// decision being made (filled by fillLate).
	lateTab [int(DefaultMaxTarget/targetStep) + 1]float64
	lateN   int

	cfg        PolicyConfig
	cur        Settings
	lastChange time.Duration
	decided    bool
	// congestedAt is when the fast path last saw a queue building (congested: ever).
	congestedAt time.Duration
	congested   bool

	// The default decision's state (steady.go).
	rate                     RateEstimator
	fallback                 bool
	trustedRun, untrustedRun int
	changedAt                time.Duration // last change of any setting
	value                    *valueState   // nil without a value model
	lastCond                 Conditions    // the last decision's conditions and budget
	lastBudget               float64
	floor                    time.Duration // TargetFloor: the floor in force, and since when
	floorAt                  time.Duration
	// tcache[fi] is the plain jitter target of Frames[fi] in this decision (tcacheOK marks it
	// set).
	tcache   [len(Frames)]time.Duration
	tcacheOK [len(Frames)]bool
}

// NewPolicy validates cfg and returns a policy starting at cfg.Initial.
func NewPolicy(cfg PolicyConfig) (*Policy, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	p := &Policy{cfg: cfg, cur: cfg.Initial}
	if cfg.Value != nil && cfg.Learned {
		p.value = newValueState(cfg.Value)
		p.value.overhead = cfg.OverheadBytes
	}
	return p, nil
}

// Current returns the settings in force.
func (p *Policy) Current() Settings { return p.cur }

// oneWay estimates the base one-way delay from the RTT.
func oneWay(f *Features) time.Duration {
	switch {
	case f.RTTMin > 0:
		return f.RTTMin / 2
	case f.RTT > 0:
		return f.RTT / 2
	}
	return defaultOneWay
}

// Decide makes the decision for time now from the snapshot f and the prediction made from it.
func (p *Policy) Decide(now time.Duration, f *Features, pred Prediction) Decision {
	var d Decision
	switch {
	case !p.cfg.Legacy:
		p.tcacheOK = [len(Frames)]bool{}
		d = p.steady(now, f, pred)
	case !pred.Trusted() || math.IsNaN(pred.SustainableBps):
		d = p.ladder(now, f)
	default:
		d = p.model(now, f, pred)
	}
	d.Changed = d.Settings != p.cur
	if d.Changed {
		p.changedAt = now
	}
	// The hold time runs from the last change of the codec settings: the jitter target moves
	// on its own hysteresis (retarget), and its steps must not keep the codec from adapting.
	cur, next := p.cur, d.Settings
	cur.JitterTarget, next.JitterTarget = 0, 0
	if next != cur {
		p.lastChange = now
	}
	p.cur = d.Settings
	p.decided = true
	return d
}

// model is the model-based decision: the best-scoring setting within the rate budget.
func (p *Policy) model(now time.Duration, f *Features, pred Prediction) Decision {
	q := p.cfg.Quality
	c := ConditionsFrom(pred, oneWay(f))
	// The delay tail is where late loss comes from and where a prediction errs most: never
	// assume a tail shorter than the last five seconds showed.
	long := &f.Windows[NumWindows-1]
	// Likewise for loss: the model's loss and burst predictions run low under heavy bursty
	// loss, and too little redundancy costs far more there than a little too much.
	c.Loss = max(c.Loss, long.Loss)
	c.MeanBurst = max(c.MeanBurst, long.MeanBurst)
	c.DelayP50 = max(c.DelayP50, long.DelayP50)
	c.DelayP95 = max(c.DelayP95, long.DelayP95)
	c.DelayP99 = max(c.DelayP99, long.DelayP99)
	limit := p.cfg.Headroom * pred.SustainableBps
	// The fast path: a clean path lets the rate climb ahead of the model's prediction (unless
	// the model asks for less than the current rate, or a queue built lately), a building
	// queue caps it at once (see congestion.go).
	curWire := p.cur.WireBps(p.cfg.OverheadBytes)
	if p.decided && limit >= curWire && (!p.congested || now-p.congestedAt >= probeQuiet) {
		limit = max(limit, probeLimit(f, curWire))
	}
	if cl, ok := congestionLimit(f); ok {
		limit = min(limit, cl)
		p.congested, p.congestedAt = true, now
	}

	p.fillLate(&c)
	// The jitter target without recovery, per frame size, scored with the current bitrate.
	var targets [len(Frames)]time.Duration
	for i, fr := range Frames {
		s := Settings{BitrateBps: p.cur.BitrateBps, Frame: fr}
		targets[i] = p.bestTarget(&s, &c)
	}

	best := Decision{Score: Score{R: math.Inf(-1)}}
	cheapest := Decision{WireBps: math.Inf(1)}
	for fi, fr := range Frames {
		for bi, b := range Bitrates {
			for v := range numVariants - 1 { // the legacy decision never sends DRED with FEC
				s := Settings{BitrateBps: b, Frame: fr, JitterTarget: targets[fi]}
				if !p.variant(&s, v, pred.Loss, c.DelayP95) {
					continue
				}
				// Over a refit table, a setting on the grid is checked and scored by its place.
				g := gridPos{bi: bi, fi: fi}
				onGrid := q.refit != nil && (s.REDLowRateBps == 0 || s.REDLowRateBps == DefaultLowRateBps)
				if s.REDLowRateBps != 0 {
					g.low = 1
				}
				switch {
				case onGrid:
					if _, ok := q.gridImpairment(g, s.FEC, s.REDDepth); !ok {
						continue
					}
				case q.refit != nil && !q.Covers(&s):
					continue
				}
				s.JitterTarget = min(s.JitterTarget, p.cfg.MaxTarget)
				wire := s.WireBps(p.cfg.OverheadBytes)
				if wire < cheapest.WireBps {
					cheapest = Decision{Settings: s, WireBps: wire}
				}
				if wire > limit || s.WireBps(0) > float64(p.cfg.MaxPayloadBps) {
					continue
				}
				var sc Score
				if onGrid {
					sc = q.refitScoreAt(g, true, &s, &c, p.late(&c, s.JitterTarget), false)
				} else {
					sc = q.score(&s, &c, p.late(&c, s.JitterTarget), false)
				}
				if sc.R-rateCost*wire > best.Score.R-rateCost*best.WireBps {
					best = Decision{Settings: s, Score: sc, WireBps: wire}
				}
			}
		}
	}
	if math.IsInf(best.Score.R, -1) { // nothing fits: the least wire rate there is
		best = cheapest
	}
	best.Score = q.Score(&best.Settings, &c)
	best.LimitBps = limit

	// Hysteresis: keep the current setting unless it no longer fits, or the best is clearly
	// better and the current one was held long enough.
	cur := p.cur
	if p.decided && curWire <= limit && cur.WireBps(0) <= float64(p.cfg.MaxPayloadBps) {
		keep := now-p.lastChange < p.cfg.MinHold
		// Keep the current codec settings, with the best target for them if that is worth it.
		trial := cur
		trial.JitterTarget = p.bestTarget(&trial, &c)
		trial.JitterTarget = p.retarget(&trial, &c)
		sc := q.Score(&trial, &c)
		if keep || best.Score.R-rateCost*best.WireBps < sc.R-rateCost*curWire+p.cfg.RMargin {
			return Decision{Settings: trial, Score: sc, WireBps: curWire, LimitBps: limit}
		}
	}
	if p.decided {
		best.JitterTarget = p.retarget(&best.Settings, &c)
		best.Score = q.Score(&best.Settings, &c)
	}
	return best
}

// numVariants is the number of recovery variants of a bitrate and frame (see variant).
const numVariants = 16

// variant sets s's recovery to variant v and raises its jitter target to what the recovery
// needs (RecoveryTarget with the delay spread p95): 0 plain, 1 FEC, 2..4 RED 1..3 with primary
// copies, 5..7 RED 1..3 with low-rate copies, 8..13 the same RED with FEC, 14 DRED, 15 DRED
// with FEC (see dred.go; only with PolicyConfig.DRED). It reports false for a variant the
// quality model cannot score (FEC with RED, and low-rate copies not cheaper than the primary,
// only over a refit table that has them; DRED only over a refit table) or the encoder would not
// send (FEC where the bitrate cannot carry it at the loss hint, fec.go; DRED below 24 kb/s,
// with FEC below 48 kb/s, or on frames other than 20 ms).
func (p *Policy) variant(s *Settings, v int, loss float64, p95 time.Duration) bool {
	if v >= numVariants-2 {
		if !p.cfg.DRED || p.cfg.Quality.refit == nil || !dredSettings(s) {
			return false
		}
		if v == numVariants-1 {
			s.FEC = true
			if settingsReach(s) == 0 { // FEC would leave DRED too few bits
				return false
			}
		}
		s.JitterTarget = max(s.JitterTarget, RecoveryTarget(s, p95))
		return true
	}
	if v >= 8 {
		s.FEC = true
		v -= 6
	} else if v == 1 {
		s.FEC = true
	}
	if s.FEC {
		s.LossHint = clamp(loss, 0.01, 0.25)
		if !fecSent(s) { // libopus would send plain Opus (fec.go)
			return false
		}
	}
	if v >= 2 {
		s.REDDepth = (v-2)%3 + 1
		if v >= 5 {
			if s.BitrateBps <= p.cfg.LowRateBps {
				return false
			}
			s.REDLowRateBps = p.cfg.LowRateBps
		}
	}
	s.JitterTarget = max(s.JitterTarget, RecoveryTarget(s, p95))
	// Coverage by a refit table is checked by the caller, on the grid.
	return p.cfg.Quality.refit != nil || !(s.FEC && s.REDDepth > 0)
}

// RecoveryTarget is the least jitter target at which s's FEC or RED copies arrive in time
// under a delay spread of p95 (above base): the copy of a frame travels d frames later in RED
// depth d, one frame later as FEC or DRED (which rebuilds longer runs with longer targets), and
// must still beat the frame's playout. It is 0 without recovery, and a multiple of 5 ms.
func RecoveryTarget(s *Settings, p95 time.Duration) time.Duration {
	n := time.Duration(s.REDDepth) * s.Frame
	if s.FEC || s.DRED > 0 {
		n = max(n, s.Frame)
	}
	if n == 0 {
		return 0
	}
	n += max(p95, 0)
	return (n + targetStep - 1) / targetStep * targetStep
}

// rateCost is the R a setting loses per bit/s of wire rate when candidates are compared, so
// that redundancy and bitrate are bought only for a real gain (1 R per 33 kb/s).
const rateCost = 3e-5

// targetRMargin is the least gain in R worth a change of the jitter target.
const targetRMargin = 1.0

// retarget applies the jitter-target hysteresis to s, whose JitterTarget is the wanted one: the
// current target stays when the wanted one differs by less than TargetMargin or gains less than
// targetRMargin, unless the current one is below what s's redundancy needs.
func (p *Policy) retarget(s *Settings, c *Conditions) time.Duration {
	want := s.JitterTarget
	need := RecoveryTarget(s, c.DelayP95)
	old := p.cur.JitterTarget
	if old >= need && old >= p.cfg.MinTarget && old <= p.cfg.MaxTarget {
		d := want - old
		if d < p.cfg.TargetMargin && d > -p.cfg.TargetMargin {
			return old
		}
		t := *s
		t.JitterTarget = old
		if p.cfg.Quality.Score(s, c).R < p.cfg.Quality.Score(&t, c).R+targetRMargin {
			return old
		}
		want = max(want, old-p.cfg.TargetMaxDrop)
	}
	return min(max(want, need, p.cfg.MinTarget), p.cfg.MaxTarget)
}

// fillLate tabulates the late fraction of c on the target grid up to MaxTarget.
func (p *Policy) fillLate(c *Conditions) {
	p.lateN = min(int(p.cfg.MaxTarget/targetStep)+1, len(p.lateTab))
	for i := range p.lateN {
		p.lateTab[i] = c.LateFraction(time.Duration(i) * targetStep)
	}
}

// late is c's late fraction at target, from the table when target is on its grid.
func (p *Policy) late(c *Conditions, target time.Duration) float64 {
	if target%targetStep == 0 && target >= 0 {
		if i := int(target / targetStep); i < p.lateN {
			return p.lateTab[i]
		}
	}
	return c.LateFraction(target)
}

// bestTarget searches the jitter target maximising R for s under c (see BestTarget), with the
// late fractions from the table.
func (p *Policy) bestTarget(s *Settings, c *Conditions) time.Duration {
	hi := p.cfg.MaxTarget
	if !p.cfg.Legacy {
		// Beyond the delay p99 the late loss falls fivefold every p99 − p95: the optimum lies
		// well within p99 + 100 ms.
		hi = min(hi, max(c.DelayP99+100*time.Millisecond, p.cfg.MinTarget))
	}
	return bestTarget(p.cfg.Quality, s, c, p.cfg.MinTarget, hi, p)
}

// BestTarget returns the jitter target in [lo, hi] (5 ms steps) that maximises q's R for s
// under c, trading the delay impairment of a longer buffer against the late loss of a shorter
// one. s.JitterTarget is ignored. It does not allocate.
func BestTarget(q *Quality, s *Settings, c *Conditions, lo, hi time.Duration) time.Duration {
	return bestTarget(q, s, c, lo, hi, nil)
}

// bestTarget is BestTarget taking the late fractions from p's table when p is not nil.
func bestTarget(q *Quality, s *Settings, c *Conditions, lo, hi time.Duration, p *Policy) time.Duration {
	t := *s
	bestT, bestR := lo, math.Inf(-1)
	try := func(tt time.Duration) {
		t.JitterTarget = tt
		var late float64
		if p != nil {
			late = p.late(c, tt)
		} else {
			late = c.LateFraction(tt)
		}
		if r := q.score(&t, c, late, false).R; r > bestR+0.01 { // shorter wins near-ties
			bestT, bestR = tt, r
		}
	}
	// Coarse steps of two, then the neighbours of the coarse optimum.
	for tt := lo; tt <= hi; tt += 2 * targetStep {
		try(tt)
	}
	coarse := bestT
	for _, tt := range [2]time.Duration{coarse - targetStep, coarse + targetStep} {
		if tt >= lo && tt <= hi {
			try(tt)
		}
	}
	return bestT
}
