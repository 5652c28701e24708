package adapt

import (
	"testing"
	"time"
)

// queued is a snapshot of a sender at sendBps whose bottleneck delivers capBps: the short window
// shows the queue building (delay above base rising at sendBps/capBps − 1 s/s, arrivals spread
// out by capBps/sendBps).
func queued(sendBps, capBps float64) *Features {
	f := snap(10*time.Second, 0, 1, 10*ms)
	g := sendBps/capBps - 1
	f.SendRateBps = sendBps
	f.Windows[0] = WindowFeatures{Window: WindowShort, Packets: 4, ArrivalRateBps: capBps, DelayP50: 60 * ms,
		DelayMax: 90 * ms, DelayP95: 90 * ms, Gradient: g, Dispersion: capBps / sendBps}
	f.Windows[1].Gradient = g / 3
	return f
}

func TestCongestionLimit(t *testing.T) {
	cl, ok := congestionLimit(queued(38e3, 16e3))
	if !ok || cl > 0.8*16e3 || cl < 4e3 {
		t.Errorf("38 kb/s into 16 kb/s: limit %.0f, %v; want at most 80 %% of 16 kb/s", cl, ok)
	}
	if _, ok := congestionLimit(snap(10*time.Second, 0, 1, 10*ms)); ok {
		t.Error("a clean path reported as congested")
	}
	// Jitter without a trend or spread is not a queue.
	f := snap(10*time.Second, 0, 1, 60*ms)
	f.Windows[0].Packets, f.Windows[0].ArrivalRateBps = 10, 50e3
	if _, ok := congestionLimit(f); ok {
		t.Error("jitter reported as a building queue")
	}
	// One packet of a short window held back (a delay impulse) is not a queue: the live 3g
	// snapshot that cut 69 kb/s to 23 kb/s. With most of the window delayed it is.
	imp := snap(10*time.Second, 0, 1, 15*ms)
	imp.SendRateBps = 68920
	imp.Windows[0] = WindowFeatures{Window: WindowShort, Packets: 7, ArrivalRateBps: 51200, DelayP50: 15 * ms,
		DelayMax: 106 * ms, DelayP95: 106 * ms, Gradient: 0.48, Dispersion: 0.62}
	if cl, ok := congestionLimit(imp); ok {
		t.Errorf("one packet 106 ms late among seven at 15 ms: limit %.0f, want no queue", cl)
	}
	imp.Windows[0].DelayP50 = 2 * queueOnset
	if _, ok := congestionLimit(imp); !ok {
		t.Error("most of the window 40 ms late with a rising delay: want a queue")
	}
	// A standing queue beyond queueStanding is congestion whatever the trend.
	f.Windows[0].DelayP50 = 2 * queueStanding
	if cl, ok := congestionLimit(f); !ok || cl > 50e3 {
		t.Errorf("standing queue: %.0f, %v", cl, ok)
	}
}

// TestPolicyFastPathOverridesModel: the model still predicts a fast path, the short window shows
// the queue building: the first decision fits the bottleneck, outside the hysteresis.
func TestPolicyFastPathOverridesModel(t *testing.T) {
	p := newTestPolicy(t)
	f := snap(0, 0, 1, 10*ms)
	hi := p.Decide(0, f, pred(500e3, 0, 1, 10*ms))
	if hi.WireBps < 40e3 {
		t.Fatalf("clean start at %.0f b/s", hi.WireBps)
	}
	lo := p.Decide(300*ms, queued(hi.WireBps, 16e3), pred(500e3, 0, 1, 10*ms))
	if lo.WireBps > 16e3 || !lo.Changed {
		t.Errorf("queue building at 16 kb/s: decided %.0f b/s (%+v)", lo.WireBps, lo.Settings)
	}
}

// TestPolicyProbesOnlyAwayFromCongestion: a clean path lets the rate climb above the model's
// prediction, but not within probeQuiet of a building queue.
func TestPolicyProbesOnlyAwayFromCongestion(t *testing.T) {
	p := newTestPolicy(t)
	p.cur = Settings{BitrateBps: 8000, Frame: 60 * time.Millisecond, JitterTarget: 40 * ms}
	p.decided = true
	clean := snap(10*time.Second, 0, 1, 10*ms)
	d := p.Decide(10*time.Second, clean, pred(20e3, 0, 1, 10*ms))
	if d.LimitBps <= 0.85*20e3 {
		t.Errorf("clean path: budget %.0f, want above the model's %.0f", d.LimitBps, 0.85*20e3)
	}
	q := newTestPolicy(t)
	q.cur, q.decided = p.cur, true
	q.Decide(9*time.Second, queued(30e3, 20e3), pred(20e3, 0, 1, 10*ms))
	d = q.Decide(10*time.Second, clean, pred(20e3, 0, 1, 10*ms))
	if d.LimitBps > 0.85*20e3+1 {
		t.Errorf("1 s after a queue: budget %.0f, want the model's %.0f", d.LimitBps, 0.85*20e3)
	}
}
