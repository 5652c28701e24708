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
