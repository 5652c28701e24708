package bench

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// StrategySummary aggregates one strategy's runs (each link, clip and seed one run).
type StrategySummary struct {
	Strategy string
	Runs     int
	// Mean and nearest-rank 10th percentile across runs.
	PESQMean, PESQP10, MOSMean, MOSP10 float64
	InterruptionsPerMin                float64 // mean across runs
	// M2EP50 and M2EP95 are the means across runs of each run's percentiles.
	M2EP50, M2EP95           time.Duration
	BufferDelay              time.Duration // mean across runs
	ConcealLate, ConcealLost float64       // means across runs
	PayloadKbps              float64
	QueueP95                 time.Duration // mean across runs
	// React and Recover are the worst over the runs on links with a rate schedule (−1: never);
	// HasSteps says there were such runs.
	React, Recover time.Duration
	Cut, Back      time.Duration // RunMetrics' Cut and Back, worst over the runs
	HasSteps       bool
}

// Summarize aggregates rows per strategy, in StrategyNames() order (then any other strategy in
// order of appearance).
func Summarize(rows []Row) []StrategySummary {
	order := slices.Clone(StrategyNames())
	for _, r := range rows {
		if !slices.Contains(order, r.Strategy) {
			order = append(order, r.Strategy)
		}
	}
	var out []StrategySummary
	for _, st := range order {
		var pesq, mos, intr, late, lost, kbps []float64
		var p50, p95, q95, buf time.Duration
		s := StrategySummary{Strategy: st}
		for _, r := range rows {
			if r.Strategy != st {
				continue
			}
			s.Runs++
			pesq = append(pesq, r.PESQ)
			if !math.IsNaN(r.MOS) {
				mos = append(mos, r.MOS)
			}
			intr = append(intr, r.InterruptionsPerMin)
			late, lost, kbps = append(late, r.ConcealLate), append(lost, r.ConcealLost), append(kbps, r.PayloadKbps)
			p50, p95, q95, buf = p50+r.M2EP50, p95+r.M2EP95, q95+r.QueueP95, buf+r.BufferDelay
			if r.HasSteps {
				if !s.HasSteps {
					s.React, s.Recover, s.Cut, s.Back = r.React, r.Recover, r.Cut, r.Back
				} else {
					s.React, s.Recover = worst(s.React, r.React), worst(s.Recover, r.Recover)
					s.Cut, s.Back = worst(s.Cut, r.Cut), worst(s.Back, r.Back)
				}
				s.HasSteps = true
			}
		}
		if s.Runs == 0 {
			continue
		}
		n := time.Duration(s.Runs)
		s.PESQMean, s.PESQP10 = mean(pesq), percentile(pesq, 0.1)
		s.MOSMean, s.MOSP10 = mean(mos), percentile(mos, 0.1)
		s.InterruptionsPerMin, s.ConcealLate, s.ConcealLost, s.PayloadKbps = mean(intr), mean(late), mean(lost), mean(kbps)
		s.M2EP50, s.M2EP95, s.QueueP95, s.BufferDelay = p50/n, p95/n, q95/n, buf/n
		out = append(out, s)
	}
	return out
}

// Versus compares a strategy with a reference run by run (same link, clip and seed).
type Versus struct {
	Strategy, Against string
	Runs, Wins        int // runs compared; runs where the strategy's PESQ-WB was higher
	// Differences strategy − reference of the means and of the 10th percentiles across runs.
	PESQ, PESQP10, MOS, MOSP10 float64
	// Interruptions is the relative change of the total interruptions (−0.4: 40 % fewer); NaN
	// when the reference had none.
	Interruptions float64
	// Losses lists the runs where the strategy's PESQ-WB was lower: "profile seed N: 3.10 vs
	// 3.25 (webrtc-like)".
	Losses []string
	// ByRepeat is the mean PESQ-WB difference on each repetition of the clip, against the same
	// reference run as PESQ (the repetition count the runs share; nil when they differ or have
	// one): where in the call the difference lies, the first repetition being its start.
	ByRepeat []float64
}

// baselines are the strategies "best baseline" chooses from (not the oracle).
var baselines = []string{StrategyFixed, StrategyFixedFEC, StrategyWebRTC, StrategyTGVoIP}

// CompareRuns compares strategy with against on every run both have. against may be
// "best baseline": on each run, whichever of the fixed, webrtc-like and tgvoip-like baselines
// had the highest PESQ-WB there.
func CompareRuns(rows []Row, strategy, against string) Versus {
	type key struct {
		p, c string
		s    uint64
	}
	byKey := map[key]map[string]Row{}
	var keys []key
	for _, r := range rows {
		k := key{r.Profile, r.Clip, r.Seed}
		if byKey[k] == nil {
			byKey[k] = map[string]Row{}
			keys = append(keys, k)
		}
		byKey[k][r.Strategy] = r
	}
	v := Versus{Strategy: strategy, Against: against}
	var a, b, am, bm []float64
	var ai, bi float64
	var reps [][]float64 // per repetition, the differences
	repsOK := true
	for _, k := range keys {
		m := byKey[k]
		s, ok := m[strategy]
		if !ok {
			continue
		}
		var ref Row
		found := false
		if against == "best baseline" {
			for _, bl := range baselines {
				if r, ok := m[bl]; ok && (!found || r.PESQ > ref.PESQ) {
					ref, found = r, true
				}
			}
		} else {
			ref, found = m[against]
		}
		if !found {
			continue
		}
		v.Runs++
		if s.PESQ > ref.PESQ {
			v.Wins++
		} else if s.PESQ < ref.PESQ {
			v.Losses = append(v.Losses, fmt.Sprintf("%s seed %d: %.2f vs %.2f (%s)", k.p, k.s, s.PESQ, ref.PESQ, ref.Strategy))
		}
		a, b = append(a, s.PESQ), append(b, ref.PESQ)
		switch n := len(s.PESQReps); {
		case !repsOK:
		case n != len(ref.PESQReps) || reps != nil && n != len(reps):
			repsOK = false
		default:
			if reps == nil {
				reps = make([][]float64, n)
			}
			for i := range n {
				reps[i] = append(reps[i], s.PESQReps[i]-ref.PESQReps[i])
			}
		}
		if !math.IsNaN(s.MOS) && !math.IsNaN(ref.MOS) {
			am, bm = append(am, s.MOS), append(bm, ref.MOS)
		}
		ai += s.InterruptionsPerMin
		bi += ref.InterruptionsPerMin
	}
	v.PESQ, v.PESQP10 = mean(a)-mean(b), percentile(a, 0.1)-percentile(b, 0.1)
	v.MOS, v.MOSP10 = mean(am)-mean(bm), percentile(am, 0.1)-percentile(bm, 0.1)
	if repsOK && len(reps) > 1 {
		for _, d := range reps {
			v.ByRepeat = append(v.ByRepeat, mean(d))
		}
	}
	v.Interruptions = math.NaN()
	if bi > 0 {
		v.Interruptions = ai/bi - 1
	}
	return v
}
