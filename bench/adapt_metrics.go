package bench

import (
	"math"
	"slices"
	"time"

	"github.com/parley-voice/parley/adapt/emodel"
	"github.com/parley-voice/parley/internal/netem"
)

// Metric constants of the adaptation comparison.
const (
	// InterruptionMin is the shortest run of consecutive concealed audio counted as an
	// interruption.
	InterruptionMin = 150 * time.Millisecond
	// EModelWindow is the window the E-model MOS is computed over before averaging.
	EModelWindow = 2 * time.Second
	// ReactQueue is the queueing delay a sender must bring its packets back under after a
	// capacity drop.
	ReactQueue = 100 * time.Millisecond
	// RecoverShare is the share of the sustainable rate a sender must reach after a rise.
	RecoverShare = 0.9
	// MaxUsefulWireBps is the wire rate beyond which more rate buys a voice call nothing
	// (64 kb/s Opus is transparent): the recovery target is RecoverShare of the smaller of it and
	// the new capacity.
	MaxUsefulWireBps = 64000
	// rateWindow is the window over which send rates are measured for react and recover.
	rateWindow = 500 * time.Millisecond
)

// RunMetrics are the metrics of one strategy run.
type RunMetrics struct {
	PESQ float64 // PESQ-WB (mean over the clip's repetitions)
	MOS  float64 // E-model MOS_CQE, mean over EModelWindow windows
	// M2EP50 and M2EP95 are percentiles of the mouth-to-ear delay over the playout ticks.
	M2EP50, M2EP95 time.Duration
	// BufferDelay is the mean jitter-buffer delay (see Timeline.BufferDelay).
	BufferDelay time.Duration
	// ConcealLate and ConcealLost are the shares of played audio concealed because a packet
	// came after its playout time, or never came (and was not recovered by FEC or RED).
	ConcealLate, ConcealLost float64
	// InterruptionsPerMin counts runs of concealed audio ≥ InterruptionMin per minute of playout.
	InterruptionsPerMin float64
	PayloadKbps         float64
	NetworkLoss         float64       // share of packets the link dropped
	QueueP95            time.Duration // 95th percentile of the per-packet queueing delay
	// React is the time from a capacity drop until the queueing delay is back under ReactQueue
	// and the wire rate under the new capacity (the worst over the drops); Recover the time from
	// a capacity rise until the wire rate reaches RecoverShare of the sustainable rate. Both are
	// measured only on links with a rate schedule (HasSteps); −1 means never.
	React, Recover time.Duration
	// Cut is the time from a capacity drop until the wire rate fits the new capacity, whatever
	// the queue (the decision's reaction, without the drain that React also waits for); Back
	// the time from a capacity rise until the wire rate reaches RecoverShare of the smaller of
	// the new capacity and the sender's own rate before the first drop (its unconstrained
	// choice, ownRate). Worst over the steps, −1 never; with HasSteps only.
	Cut, Back time.Duration
	HasSteps  bool
}

// percentile is the nearest-rank q-quantile (0 < q ≤ 1) of xs (NaN when empty). xs is not
// modified.
func percentile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	k := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(k, 0), len(s)-1)]
}

// durPercentile is percentile over durations (0 when empty).
func durPercentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(percentile(xs, q))
}

// mean is the arithmetic mean (NaN when empty).
func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// concealedTick says a tick counts as concealed for runs: at least half its chunk was PLC.
func concealedTick(t Tick) bool { return t.Playing && 2*t.Concealed >= chunkSamples }

// interruptions counts the runs of consecutive concealed ticks lasting at least minRun, and
// the minutes of playout they happened in.
func interruptions(ticks []Tick, minRun time.Duration) (n int, minutes float64) {
	run := time.Duration(0)
	playing := 0
	flush := func() {
		if run >= minRun {
			n++
		}
		run = 0
	}
	for _, t := range ticks {
		if !t.Playing {
			continue
		}
		playing++
		if concealedTick(t) {
			run += PlayoutChunk
		} else {
			flush()
		}
	}
	flush()
	return n, (time.Duration(playing) * PlayoutChunk).Minutes()
}

// concealSplit splits the concealed share of played audio into late and lost: concealment up to
// the frames that never arrived and were not recovered is loss, the rest came from packets that
// arrived after their playout time (or were held back waiting for one). recovered is the number
// of frames FEC and RED rebuilt.
func concealSplit(ticks []Tick, sends []SendEvent, recovered int) (late, lost float64) {
	var played, concealed int
	for _, t := range ticks {
		if t.Playing {
			played += chunkSamples
			concealed += t.Concealed
		}
	}
	if played == 0 {
		return 0, 0
	}
	var lostS, lostN int
	for _, s := range sends {
		if s.Arrival < 0 {
			lostS += s.FrameSamples
			lostN++
		}
	}
	unrecovered := lostS
	if lostN > 0 {
		unrecovered = max(lostS-recovered*lostS/lostN, 0)
	}
	lostC := min(unrecovered, concealed)
	return float64(concealed-lostC) / float64(played), float64(lostC) / float64(played)
}

// emodelMOS is the mean over EModelWindow windows of the one call score (emodel.ScoreCall)
// with each window's mean mouth-to-ear delay (capture to playout, frame included, plus
// emodel.FixedDelay), concealed share as loss, mean burst from its runs of concealed ticks (in
// frames), mean Opus bitrate and frame. Windows with less than half a window of playout are
// skipped; NaN when none is left.
func emodelMOS(ticks []Tick) float64 {
	per := int(EModelWindow / PlayoutChunk)
	var moss []float64
	for i := 0; i < len(ticks); i += per {
		w := ticks[i:min(i+per, len(ticks))]
		var n, conc, runs, runTicks int
		var m2e time.Duration
		var br, frame float64
		inRun := false
		for _, t := range w {
			if !t.Playing {
				inRun = false
				continue
			}
			n++
			conc += t.Concealed
			m2e += t.MouthToEar
			br += float64(t.BitrateBps)
			frame += t.Frame.Seconds()
			if concealedTick(t) {
				runTicks++
				if !inRun {
					runs++
				}
				inRun = true
			} else {
				inRun = false
			}
		}
		if n < per/2 {
			continue
		}
		loss := float64(conc) / float64(n*chunkSamples)
		if loss >= 0.999 {
			moss = append(moss, 1)
			continue
		}
		burst := 1.0
		if runs > 0 && frame > 0 {
			meanFrame := frame / float64(n)
			burst = max(1, float64(runTicks)/float64(runs)*PlayoutChunk.Seconds()/meanFrame)
		}
		r, err := emodel.ScoreCall(emodel.Call{BitrateBps: int(br / float64(n)), Frame: time.Duration(frame / float64(n) * float64(time.Second)),
			Loss: loss, MeanBurst: burst, MouthToEar: m2e/time.Duration(n) + emodel.FixedDelay})
		if err != nil {
			continue
		}
		moss = append(moss, r.MOS)
	}
	return mean(moss)
}

// wireRate is the wire rate in bit/s of the packets sent in [from, to).
func wireRate(sends []SendEvent, from, to time.Duration) float64 {
	if to <= from {
		return 0
	}
	var bytes int
	for _, s := range sends {
		if s.At >= from && s.At < to {
			bytes += s.WireBytes
		}
	}
	return float64(bytes*8) / (to - from).Seconds()
}

// reactRecover measures React and Recover (see RunMetrics) over a rate schedule. Decisions are
// judged on rateWindow windows starting at each packet sent after the step: React is the start
// of the first window after a drop whose packets all got through the queue within ReactQueue and
// whose wire rate fits the new capacity; Recover the start of the first window after a rise whose
// wire rate reaches RecoverShare × min(capacity, MaxUsefulWireBps). A window must end within the
// step. The worst over the drops (and rises) is returned; −1 when one never happened.
func reactRecover(steps []netem.RateStep, sends []SendEvent) (react, recover time.Duration) {
	return scanSteps(steps, sends, func(st netem.RateStep, drop bool, j int, we time.Duration) bool {
		w := wireRate(sends[j:], sends[j].At, we)
		if !drop {
			return w >= RecoverShare*min(float64(st.RateBps), MaxUsefulWireBps)
		}
		if w > float64(st.RateBps) {
			return false
		}
		for _, q := range sends[j:] {
			if q.At >= we {
				break
			}
			if q.QueueDrop || q.Arrival >= 0 && q.Queue >= ReactQueue {
				return false
			}
		}
		return true
	})
}

// scanSteps finds, after every change of the schedule's rate, the first rateWindow window that
// ok accepts: windows start at each packet sent in the step (sends[j], ending at we) and must end
// within it. It returns the worst over the drops and over the rises (−1: one never did).
func scanSteps(steps []netem.RateStep, sends []SendEvent, ok func(st netem.RateStep, drop bool, j int, we time.Duration) bool) (drops, rises time.Duration) {
	var start time.Duration
	for i, st := range steps {
		end := start + st.Duration
		if i > 0 && st.RateBps != steps[i-1].RateBps {
			drop := st.RateBps < steps[i-1].RateBps
			r := time.Duration(-1)
			for j, s := range sends {
				if s.At < start {
					continue
				}
				we := s.At + rateWindow
				if we > end {
					break
				}
				if ok(st, drop, j, we) {
					r = s.At - start
					break
				}
			}
			if drop {
				drops = worst(drops, r)
			} else {
				rises = worst(rises, r)
			}
		}
		start = end
	}
	return drops, rises
}

// worst combines two times where −1 (never) is worst of all.
func worst(a, b time.Duration) time.Duration {
	if a < 0 || b < 0 {
		return -1
	}
	return max(a, b)
}

// runMetrics computes everything but PESQ from a run's timeline and result.
func runMetrics(tl *Timeline, res Result) RunMetrics {
	ticks, sends := tl.scored()
	m := RunMetrics{PayloadKbps: res.PayloadKbps(), NetworkLoss: res.NetworkLoss, MOS: emodelMOS(ticks)}
	var m2e []time.Duration
	for _, t := range ticks {
		if t.Playing {
			m2e = append(m2e, t.MouthToEar)
		}
	}
	m.M2EP50, m.M2EP95 = durPercentile(m2e, 0.5), durPercentile(m2e, 0.95)
	m.BufferDelay = tl.BufferDelay
	m.ConcealLate, m.ConcealLost = concealSplit(ticks, sends, res.Receive.RecoveredFEC+res.Receive.RecoveredRED+res.Receive.RecoveredDRED)
	if n, min := interruptions(ticks, InterruptionMin); min > 0 {
		m.InterruptionsPerMin = float64(n) / min
	}
	var q []time.Duration
	for _, s := range tl.Sends {
		if s.Arrival >= 0 {
			q = append(q, s.Queue)
		}
	}
	m.QueueP95 = durPercentile(q, 0.95)
	if len(tl.Capacity) > 1 {
		m.HasSteps = true
		m.React, m.Recover = reactRecover(tl.Capacity, tl.Sends)
		m.Cut, m.Back = cutBack(tl.Capacity, tl.Sends)
	}
	return m
}

// cutBack measures Cut and Back (see RunMetrics) on the rateWindow windows reactRecover uses.
func cutBack(steps []netem.RateStep, sends []SendEvent) (cut, back time.Duration) {
	own := ownRate(steps, sends)
	return scanSteps(steps, sends, func(st netem.RateStep, drop bool, j int, we time.Duration) bool {
		w := wireRate(sends[j:], sends[j].At, we)
		if drop {
			return w <= float64(st.RateBps)
		}
		return w >= RecoverShare*min(float64(st.RateBps), own)
	})
}

// ownRate is the sender's wire rate over the second half of the schedule's first step (bit/s):
// what it chose before any drop, once past its start.
func ownRate(steps []netem.RateStep, sends []SendEvent) float64 {
	if len(steps) == 0 {
		return 0
	}
	d := steps[0].Duration
	return wireRate(sends, d/2, d)
}
