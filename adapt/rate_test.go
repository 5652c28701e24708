package adapt

import (
	"testing"
	"time"
)

// TestRateDrainsQueue: over-use with a long standing queue cuts the estimate below the
// bottleneck's delivery rate by the share the queue needs to drain within drainTime, while the
// rate found (where growth later slows) stays the delivery's.
func TestRateDrainsQueue(t *testing.T) {
	var r RateEstimator
	r.Update(9*time.Second, snap(9*time.Second, 0, 1, 10*ms), 40e3)
	short := queued(40e3, 32e3)
	short.Windows[0].DelayP50 = 60 * ms // a young queue: a mild drain
	mild := r
	mild.Update(10*time.Second, short, 40e3)
	long := queued(40e3, 32e3)
	long.Windows[0].DelayP50 = 300 * ms // the queue has filled: drain hard
	r.Update(10*time.Second, long, 40e3)
	if !r.Overuse || !mild.Overuse {
		t.Fatal("a building queue not taken as over-use")
	}
	if r.Estimate() >= mild.Estimate() {
		t.Errorf("300 ms queue: estimate %.0f, not below the 60 ms queue's %.0f", r.Estimate(), mild.Estimate())
	}
	if r.Estimate() > 0.5*32e3 {
		t.Errorf("300 ms queue at 32 kb/s: estimate %.0f b/s would not drain it within %v", r.Estimate(), drainTime)
	}
	if r.cutRate <= r.Estimate() {
		t.Errorf("rate found %.0f not above the draining estimate %.0f", r.cutRate, r.Estimate())
	}
	if !Overuse(long) || Overuse(snap(10*time.Second, 0, 1, 10*ms)) {
		t.Error("Overuse disagrees with the estimator")
	}
}

// TestRateRecoversPastCut: after the drain the estimate grows fast up to near the rate found,
// not at the slow near-capacity pace from the drained rate.
func TestRateRecoversPastCut(t *testing.T) {
	var r RateEstimator
	r.Update(9*time.Second, snap(9*time.Second, 0, 1, 10*ms), 40e3)
	long := queued(40e3, 32e3)
	long.Windows[0].DelayP50 = 300 * ms
	r.Update(10*time.Second, long, 40e3)
	low := r.Estimate()
	at := 10 * time.Second
	for range 4 { // two seconds of a clean path after the cut
		at += 500 * ms
		f := snap(at, 0, 1, 5*ms)
		f.SendRateBps = r.Estimate()
		r.Update(at, f, r.Estimate())
	}
	if r.Estimate() < 1.4*low {
		t.Errorf("estimate %.0f → %.0f b/s in 2 s of a clean path after a drain", low, r.Estimate())
	}
}

// TestRateClimbsAfterRise: after a cut at a slow bottleneck (16 kb/s), once the path shows no
// queue at all at the rate in use (its capacity rose), the estimate, fed back as the sender's
// rate, more than quadruples within 1.5 s; while the delay still shows the bottleneck (a
// serialisation delay of a few tens of ms at the rate in use) it grows only slowly near the
// rate found and within rateProbeCap of the rate offered.
func TestRateClimbsAfterRise(t *testing.T) {
	climb := func(queue time.Duration) (from, to float64) {
		var r RateEstimator
		r.Update(9*time.Second, snap(9*time.Second, 0, 1, 10*ms), 24e3)
		r.Update(10*time.Second, queued(24e3, 16e3), 24e3)
		if !r.Overuse {
			t.Fatal("24 kb/s into 16 kb/s not taken as over-use")
		}
		from = r.Estimate()
		at := 10 * time.Second
		for at < 12500*ms { // the drain (rateSettle), then 1.5 s at the 500 ms cadence
			at += 500 * ms
			f := snap(at, 0, 1, 3*queue)
			f.SendRateBps = r.Estimate()
			r.Update(at, f, r.Estimate())
		}
		return from, r.Estimate()
	}
	if from, to := climb(3 * ms); to < 4*from {
		t.Errorf("clear path after a cut: estimate %.0f -> %.0f b/s in 1.5 s, want 4x", from, to)
	}
	if from, to := climb(35 * ms); to > 2.5*from {
		t.Errorf("bottleneck still showing (35 ms): estimate %.0f -> %.0f b/s in 1.5 s, want it slower", from, to)
	}
}

// TestRateStallIsNotOveruse: a radio stall (a few packets held 300 ms, then released; random
// loss beside it) is no bottleneck, and a stall with nothing arriving in the short window is
// none either; a drop-tail queue that stands full and overflows is.
func TestRateStallIsNotOveruse(t *testing.T) {
	stall := snap(10*time.Second, 0.06, 1.5, 300*ms)
	stall.SendRateBps = 60e3
	for i := range stall.Windows {
		w := &stall.Windows[i]
		w.DelayP50, w.ArrivalRateBps, w.Gradient = 20*ms, 60e3*0.94, 0.3
	}
	stall.Windows[0].DelayP50 = 150 * ms
	if Overuse(stall) {
		t.Error("a 300 ms stall with 6 % random loss taken as over-use")
	}
	// The held packets released: the short window takes them faster than they were sent.
	burst := snap(10*time.Second, 0.06, 1.5, 300*ms)
	burst.SendRateBps = 60e3
	burst.Windows[1].ArrivalRateBps, burst.Windows[1].Gradient = 40e3, 0.3
	burst.Windows[0] = WindowFeatures{Window: WindowShort, Packets: 12, ArrivalRateBps: 150e3,
		DelayP50: 200 * ms, DelayMax: 300 * ms, Gradient: -2, Dispersion: 4}
	if Overuse(burst) {
		t.Error("the release of a stall's held packets taken as over-use")
	}
	held := snap(10*time.Second, 0, 1, 300*ms)
	held.SendRateBps = 60e3
	held.Windows[0] = WindowFeatures{Window: WindowShort} // nothing arrived yet
	held.Windows[1].Gradient, held.Windows[1].DelayMax, held.Windows[1].ArrivalRateBps = 0.4, 300*ms, 45e3
	if Overuse(held) {
		t.Error("a stall in progress (no arrival in the short window) taken as over-use")
	}
	full := snap(10*time.Second, 0.3, 3, 320*ms)
	full.SendRateBps = 60e3
	for i := range full.Windows {
		w := &full.Windows[i]
		w.DelayP50, w.ArrivalRateBps = 290*ms, 42e3
	}
	if !Overuse(full) {
		t.Error("a full, overflowing drop-tail queue not taken as over-use")
	}
}

// TestRateStallCut: a short window whose few packets a stall delayed together (arriving at 19
// kb/s while the last second delivered 53 kb/s) cuts a first time to no less than stallShare of
// the second's delivery rate, not to the stall's rate; a queue still building at the next
// decision (within rateSettle) cuts to the drain rate.
func TestRateStallCut(t *testing.T) {
	var r RateEstimator
	r.Update(9*time.Second, snap(9*time.Second, 0, 1, 10*ms), 68e3)
	stall := func(at time.Duration) *Features {
		f := queued(68e3, 19e3)
		f.At = at
		f.Windows[0].Packets, f.Windows[0].DelayP50, f.Windows[0].DelayMax = 3, 134*ms, 143*ms
		f.Windows[1].ArrivalRateBps = 53e3
		return f
	}
	r.Update(10*time.Second, stall(10*time.Second), 68e3)
	if !r.Overuse {
		t.Fatal("the stalled window not taken as over-use")
	}
	first := r.Estimate()
	if first < 0.5*53e3 || first > 68e3 {
		t.Errorf("first cut to %.0f b/s; want between half the 53 kb/s delivered and 68000", first)
	}
	f := stall(10*time.Second + 500*ms)
	f.Windows[1].ArrivalRateBps = 19e3
	r.Update(10*time.Second+500*ms, f, first)
	if r.Estimate() >= 19e3 {
		t.Errorf("a queue still building 0.5 s after the first cut: estimate %.0f b/s, want below the 19 kb/s delivered", r.Estimate())
	}
	// Without the medium window's rate (too few packets) the cut is the drain's at once.
	var n RateEstimator
	n.Update(9*time.Second, snap(9*time.Second, 0, 1, 10*ms), 68e3)
	g := stall(10 * time.Second)
	g.Windows[1].Packets = 4
	n.Update(10*time.Second, g, 68e3)
	if n.Estimate() >= 19e3 {
		t.Errorf("first cut with 4 packets in the medium window: %.0f b/s, want the drain rate below 19 kb/s", n.Estimate())
	}
}
