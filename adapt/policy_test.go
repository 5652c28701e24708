package adapt

import (
	"testing"
	"time"
)

func newTestPolicy(t testing.TB) *Policy {
	t.Helper()
	p, err := NewPolicy(PolicyConfig{Legacy: true})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// snap is a features snapshot with an RTT and the given measured loss in every window.
func snap(at time.Duration, loss, burst float64, p95 time.Duration) *Features {
	f := &Features{At: at, RTT: 80 * ms, RTTMin: 80 * ms}
	for i := range f.Windows {
		f.Windows[i] = WindowFeatures{Window: Windows[i], Packets: 50, Loss: loss, MeanBurst: burst,
			DelayP50: p95 / 3, DelayP95: p95, DelayP99: p95 * 5 / 4, Dispersion: 1}
	}
	return f
}

func pred(rateBps, loss, burst float64, p95 time.Duration) Prediction {
	return Prediction{SustainableBps: rateBps, Loss: loss, MeanBurst: burst, DelayP50: p95 / 3,
		DelayP95: p95, DelayP99: p95 * 5 / 4}
}

func TestPolicyCleanLink(t *testing.T) {
	p := newTestPolicy(t)
	d := p.Decide(0, snap(0, 0, 1, 5*ms), pred(1e6, 0, 1, 5*ms))
	t.Logf("%+v", d)
	if d.REDDepth != 0 || d.FEC || d.BitrateBps < 24000 || d.JitterTarget > 40*ms || d.Score.MOS < 4 {
		t.Errorf("clean link: %+v", d)
	}
}

func TestPolicyBurstyLossPicksRedundancy(t *testing.T) {
	p := newTestPolicy(t)
	d := p.Decide(0, snap(0, 0.2, 2.5, 20*ms), pred(300e3, 0.2, 2.5, 20*ms))
	t.Logf("%+v", d)
	if d.REDDepth < 2 {
		t.Errorf("20 %% bursty loss: RED depth %d, want ≥ 2 (%+v)", d.REDDepth, d)
	}
	if d.JitterTarget < time.Duration(d.REDDepth)*d.Frame {
		t.Errorf("jitter target %v too short for RED depth %d of %v frames", d.JitterTarget, d.REDDepth, d.Frame)
	}
	// The redundancy must be worth it: the same codec setting without it scores clearly worse.
	plain := d.Settings
	plain.REDDepth, plain.REDLowRateBps, plain.FEC = 0, 0, false
	c := Conditions{OneWay: 40 * ms, Loss: 0.2, MeanBurst: 2.5, DelayP50: 20 * ms / 3, DelayP95: 20 * ms, DelayP99: 25 * ms}
	if pr, rr := p.cfg.Quality.Score(&plain, &c), p.cfg.Quality.Score(&d.Settings, &c); rr.MOS < pr.MOS+0.3 {
		t.Errorf("redundancy gains only %.2f MOS (%.2f → %.2f)", rr.MOS-pr.MOS, pr.MOS, rr.MOS)
	}
}

func TestPolicyCapacityDrop(t *testing.T) {
	p := newTestPolicy(t)
	f := snap(0, 0, 1, 10*ms)
	hi := p.Decide(0, f, pred(500e3, 0.01, 1, 10*ms))
	// The capacity drops to 40 kb/s on the wire half a second later: acted on at once.
	lo := p.Decide(500*ms, f, pred(40e3, 0.01, 1, 10*ms))
	t.Logf("before %+v\nafter %+v", hi, lo)
	if !lo.Changed || lo.WireBps > lo.LimitBps || lo.BitrateBps >= hi.BitrateBps {
		t.Errorf("capacity drop not acted on: before %+v, after %+v", hi, lo)
	}
}

func TestPolicyHysteresis(t *testing.T) {
	p := newTestPolicy(t)
	changes := 0
	for i := range 200 {
		// Predictions wobble around 1.5 % random loss and 60 ms p95.
		w := float64(i%2)*2 - 1
		pr := pred(300e3, 0.015+0.005*w, 1.2, time.Duration(60+5*w)*ms)
		now := time.Duration(i) * 500 * ms
		if d := p.Decide(now, snap(now, pr.Loss, 1.2, pr.DelayP95), pr); d.Changed && i > 0 {
			changes++
		}
	}
	if changes > 4 {
		t.Errorf("%d changes over 200 wobbling decisions", changes)
	}
}

func TestPolicyFallbackLadder(t *testing.T) {
	for _, c := range []struct {
		loss float64
		p95  time.Duration
		rung int
		red  int
		fec  bool
	}{
		{0, 10 * ms, RungPlain, 0, false},
		{0.015, 10 * ms, RungFEC, 0, true},
		{0.03, 10 * ms, RungRED1, 1, true},
		{0.06, 10 * ms, RungRED2, 2, true},
		{0.1, 10 * ms, RungRED3, 3, true},
		{0.1, 150 * ms, RungFloor, 3, true},
	} {
		p := newTestPolicy(t)
		pr := pred(300e3, 0, 1, 10*ms)
		pr.OutOfRange = true // e.g. features outside the training range
		d := p.Decide(0, snap(0, c.loss, 2, c.p95), pr)
		if !d.Fallback || d.Rung != c.rung || d.REDDepth != c.red || d.FEC != c.fec {
			t.Errorf("loss %v p95 %v: %+v", c.loss, c.p95, d)
		}
		if c.rung == RungFloor && d.JitterTarget < ladderFloor {
			t.Errorf("floor rung target %v", d.JitterTarget)
		}
	}
	// Large residuals trigger the ladder too.
	p := newTestPolicy(t)
	pr := pred(300e3, 0, 1, 10*ms)
	pr.LargeResiduals = true
	if d := p.Decide(0, snap(0, 0.03, 2, 10*ms), pr); !d.Fallback {
		t.Errorf("large residuals: %+v", d)
	}
}

func TestJitterTarget(t *testing.T) {
	q, err := NewQuality(nil, DefaultFixedDelay)
	if err != nil {
		t.Fatal(err)
	}
	s := Settings{BitrateBps: 24000, Frame: 20 * ms}
	none := Conditions{OneWay: 40 * ms, MeanBurst: 1}
	if tt := BestTarget(q, &s, &none, 10*ms, 400*ms); tt > 10*ms {
		t.Errorf("no jitter: target %v", tt)
	}
	spread := Conditions{OneWay: 40 * ms, MeanBurst: 1, DelayP50: 20 * ms, DelayP95: 80 * ms, DelayP99: 120 * ms}
	tt := BestTarget(q, &s, &spread, 10*ms, 400*ms)
	if tt < 80*ms || tt > 250*ms {
		t.Errorf("p95 80 ms, p99 120 ms: target %v", tt)
	}
	// The target is a true optimum of R on any path: no neighbour 20 ms away scores better.
	for _, ow := range []time.Duration{5 * ms, 40 * ms, 150 * ms, 300 * ms} {
		c := spread
		c.OneWay = ow
		s.JitterTarget = BestTarget(q, &s, &c, 10*ms, 400*ms)
		r := q.Score(&s, &c).R
		for _, d := range []time.Duration{-20 * ms, 20 * ms} {
			n := s
			n.JitterTarget += d
			if rn := q.Score(&n, &c).R; rn > r+0.01 {
				t.Errorf("one-way %v: target %v (R %.2f) beaten by %v (R %.2f)", ow, s.JitterTarget, r, n.JitterTarget, rn)
			}
		}
		t.Logf("one-way %v: target %v", ow, s.JitterTarget)
	}
}

func TestDecideZeroAllocs(t *testing.T) {
	p := newTestPolicy(t)
	f := snap(0, 0.05, 2, 40*ms)
	pr := pred(200e3, 0.05, 2, 40*ms)
	if a := testing.AllocsPerRun(50, func() { p.Decide(0, f, pr) }); a != 0 {
		t.Errorf("Decide: %v allocs", a)
	}
}

func BenchmarkDecide(b *testing.B) {
	p := newTestPolicy(b)
	f := snap(0, 0.05, 2, 40*ms)
	pr := pred(200e3, 0.05, 2, 40*ms)
	b.ReportAllocs()
	for b.Loop() {
		p.Decide(0, f, pr)
	}
}

// TestPolicyRecoversAfterRise: after a capacity drop, a rise is taken up within two seconds of
// decisions every 500 ms (the hold time is 1 s).
func TestPolicyRecoversAfterRise(t *testing.T) {
	p := newTestPolicy(t)
	f := snap(0, 0, 1, 10*ms)
	hi := p.Decide(0, f, pred(500e3, 0.01, 1, 10*ms))
	p.Decide(500*ms, f, pred(30e3, 0.01, 1, 10*ms))
	for now := time.Second; now <= 3*time.Second; now += 500 * time.Millisecond {
		d := p.Decide(now, f, pred(500e3, 0.01, 1, 10*ms))
		if d.BitrateBps >= hi.BitrateBps*9/10 {
			if now-time.Second > 2*time.Second {
				t.Errorf("recovered only %v after the rise", now-time.Second)
			}
			return
		}
	}
	t.Errorf("bitrate not back within 2 s: %+v", p.Current())
}
