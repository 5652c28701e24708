package adapt

import (
	"runtime"
	"testing"
	"time"
)

func newSteady(t testing.TB, cfg PolicyConfig) *Policy {
	t.Helper()
	p, err := NewPolicy(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSteadyStationary: on a stationary link with wobbling measurements the settings change at
// most once per DefaultHold (after the start), whether the predictor is trusted or not.
func TestSteadyStationary(t *testing.T) {
	for _, untrusted := range []bool{false, true} {
		p := newSteady(t, PolicyConfig{})
		var last time.Duration = -time.Hour
		changes := 0
		for i := range 240 {
			w := float64(i%2)*2 - 1
			pr := pred(300e3, 0.015+0.005*w, 1.2, time.Duration(60+5*w)*ms)
			// Half the time out of range: the mode must not flap with it.
			pr.OutOfRange = untrusted && i%3 == 0
			now := time.Duration(i) * 500 * ms
			f := snap(now, pr.Loss, 1.2, pr.DelayP95)
			f.SendRateBps = 60e3
			d := p.Decide(now, f, pr)
			if d.Changed && i > 4 {
				changes++
				if now-last < DefaultHold {
					t.Errorf("untrusted %v: changes %v and %v less than %v apart (%+v)", untrusted, last, now, DefaultHold, d.Settings)
				}
				last = now
			}
		}
		if changes > 6 {
			t.Errorf("untrusted %v: %d changes over 2 minutes of a stationary link", untrusted, changes)
		}
	}
}

// TestSteadyCapacityDrop: a queue building behind a 16 kb/s bottleneck is acted on at the
// next decision, whatever the hold.
func TestSteadyCapacityDrop(t *testing.T) {
	p := newSteady(t, PolicyConfig{})
	f := snap(0, 0, 1, 10*ms)
	hi := p.Decide(0, f, pred(500e3, 0, 1, 10*ms))
	if hi.WireBps < 40e3 {
		t.Fatalf("clean start at %.0f b/s", hi.WireBps)
	}
	lo := p.Decide(500*ms, queued(hi.WireBps, 16e3), pred(500e3, 0, 1, 10*ms))
	if lo.WireBps > 16e3 || !lo.Changed {
		t.Errorf("queue building at 16 kb/s: decided %.0f b/s (%+v)", lo.WireBps, lo.Settings)
	}
}

// TestSteadyRecovers: after the drop, a clean path (no queue at all: the capacity rose) brings
// the quality back (within RMargin of the setting before the drop) within 2 s: the estimate
// climbs fast on a clear path instead of slowly near the rate of the last over-use (3.5 s
// before that).
func TestSteadyRecovers(t *testing.T) {
	p := newSteady(t, PolicyConfig{})
	f := snap(0, 0, 1, 5*ms)
	hi := p.Decide(0, f, pred(500e3, 0, 1, 5*ms))
	p.Decide(500*ms, queued(hi.WireBps, 16e3), pred(500e3, 0, 1, 5*ms))
	for now := time.Second; now <= 6*time.Second; now += 500 * ms {
		f := snap(now, 0, 1, 5*ms)
		f.SendRateBps = p.Current().WireBps(DefaultOverheadBytes)
		d := p.Decide(now, f, pred(500e3, 0, 1, 5*ms))
		t.Logf("%v: budget %.0f wire %.0f %+v", now, d.LimitBps, d.WireBps, d.Settings)
		if d.Score.R >= hi.Score.R-DefaultRMargin {
			t.Logf("recovered %v after the rise", now-time.Second)
			if now-time.Second > 2*time.Second {
				t.Errorf("recovered %v after the rise", now-time.Second)
			}
			return
		}
	}
	t.Errorf("not back within 2 s: %+v", p.Current())
}

// TestSteadyKeepsPrimary: with loss that RED answers, a setting whose primary bitrate is
// below the best plain setting's is chosen only when the same redundancy at that bitrate does
// not fit: the primary is not cut to pay for copies while there is room for both.
func TestSteadyKeepsPrimary(t *testing.T) {
	for _, budget := range []float64{90e3, 140e3, 200e3} {
		cfg := PolicyConfig{MaxPayloadBps: MaxBitrateBps * 4}
		p, plain := newSteady(t, cfg), newSteady(t, cfg)
		p.rate.started, p.rate.est = true, budget
		plain.rate.started, plain.rate.est = true, budget
		f := snap(0, 0.08, 1.5, 10*ms)
		f.SendRateBps = budget
		d := p.Decide(0, f, pred(500e3, 0.08, 1.5, 10*ms))
		c := snap(0, 0, 1, 10*ms)
		c.SendRateBps = budget
		d0 := plain.Decide(0, c, pred(500e3, 0, 1, 10*ms))
		t.Logf("budget %.0f: lossy %+v; clean %+v", budget, d.Settings, d0.Settings)
		if d.REDDepth == 0 && !d.FEC {
			t.Errorf("8 %% loss: no redundancy (%+v)", d.Settings)
		}
		if d.REDDepth > 0 && d.BitrateBps < d0.BitrateBps && d.Frame == d0.Frame {
			s := d.Settings
			s.BitrateBps = d0.BitrateBps
			if s.WireBps(DefaultOverheadBytes) <= budget {
				t.Errorf("primary cut to %d b/s for RED %d with room for it at %d b/s", d.BitrateBps, d.REDDepth, d0.BitrateBps)
			}
		}
	}
}

// TestSteadyJitterTargetKnowsRedundancy: the target leaves time for the copies the setting
// carries when they are worth it, and stays short on a clean path.
func TestSteadyJitterTargetKnowsRedundancy(t *testing.T) {
	p := newSteady(t, PolicyConfig{})
	d := p.Decide(0, snap(0, 0, 1, 5*ms), pred(500e3, 0, 1, 5*ms))
	if d.JitterTarget > 40*ms {
		t.Errorf("clean path: target %v (%+v)", d.JitterTarget, d.Settings)
	}
	q := newSteady(t, PolicyConfig{})
	d = q.Decide(0, snap(0, 0.2, 2.5, 20*ms), pred(300e3, 0.2, 2.5, 20*ms))
	t.Logf("bursty: %+v", d.Settings)
	if d.REDDepth == 0 || d.JitterTarget < d.Frame+20*ms {
		t.Errorf("20 %% bursty loss: %+v", d.Settings)
	}
}

func TestSteadyDecideZeroAllocs(t *testing.T) {
	p := newSteady(t, PolicyConfig{DRED: true})
	f := snap(0, 0.05, 2, 40*ms)
	pr := pred(200e3, 0.05, 2, 40*ms)
	if a := testing.AllocsPerRun(50, func() { p.Decide(0, f, pr) }); a != 0 {
		t.Errorf("Decide: %v allocs", a)
	}
}

// BenchmarkSteadyDecide is the cost of one decision of the default (steady) policy with DRED
// among the candidates, as the engine runs it with libopus 1.5 (target ≤ 50 µs, 0 allocs).
func BenchmarkSteadyDecide(b *testing.B) { benchDecide(b, PolicyConfig{DRED: true}) }

// benchDecide times Decide of a steady policy built from cfg, every 500 ms of virtual time on a
// steady 5 %-loss link with room to spare.
func benchDecide(b *testing.B, cfg PolicyConfig) {
	p := newSteady(b, cfg)
	f := snap(0, 0.05, 2, 40*ms)
	f.SendRateBps = 100e3
	pr := pred(200e3, 0.05, 2, 40*ms)
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadTime()
	now := time.Duration(0)
	for b.Loop() {
		now += 500 * ms
		f.At = now
		p.Decide(now, f, pr)
	}
	if end := threadTime(); start >= 0 && end >= 0 && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N)/1e3, "cpu-µs/op")
	}
}

// TestLearnedValueModel: the embedded value model decodes, is trained, and with Learned set the
// policy still decides within the budget without allocating.
func TestLearnedValueModel(t *testing.T) {
	m, err := DefaultValueModel()
	if err != nil {
		t.Fatal(err)
	}
	if m.Samples == 0 {
		t.Fatal("embedded value model is untrained")
	}
	b, _ := m.MarshalBinary()
	if m2, err := DecodeValueModel(b); err != nil || *m2 != *m {
		t.Fatalf("value model does not round-trip: %v", err)
	}
	if _, err := DecodeValueModel(b[:len(b)-1]); err == nil {
		t.Error("truncated value model decoded")
	}
	p := newSteady(t, PolicyConfig{Learned: true})
	f := snap(0, 0.05, 2, 40*ms)
	f.SendRateBps = 80e3
	d := p.Decide(0, f, pred(200e3, 0.05, 2, 40*ms))
	if d.WireBps > d.LimitBps {
		t.Errorf("learned decision over budget: %+v", d)
	}
	if a := testing.AllocsPerRun(20, func() { p.Decide(0, f, pred(200e3, 0.05, 2, 40*ms)) }); a != 0 {
		t.Errorf("learned Decide: %v allocs", a)
	}
}

func FuzzDecodeValueModel(f *testing.F) {
	b, _ := (&ValueModel{Samples: 3}).MarshalBinary()
	f.Add(b)
	f.Add([]byte("PRLYVAL"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeValueModel(data)
		if err == nil && m == nil {
			t.Fatal("nil model without error")
		}
	})
}

// TestSteadyTargetFloor: as a floor for a receiver's own estimate, the target is 0 on a clean
// path and covers the copies under bursty loss.
func TestSteadyTargetFloor(t *testing.T) {
	p := newSteady(t, PolicyConfig{TargetFloor: true})
	if d := p.Decide(0, snap(0, 0, 1, 5*ms), pred(500e3, 0, 1, 5*ms)); d.JitterTarget != 0 {
		t.Errorf("clean path: floor %v (%+v)", d.JitterTarget, d.Settings)
	}
	q := newSteady(t, PolicyConfig{TargetFloor: true})
	d := q.Decide(0, snap(0, 0.2, 2.5, 20*ms), pred(300e3, 0.2, 2.5, 20*ms))
	if (d.REDDepth > 0 || d.FEC) && d.JitterTarget < d.Frame {
		t.Errorf("20 %% bursty loss: floor %v for %+v", d.JitterTarget, d.Settings)
	}
	t.Logf("bursty: %+v", d.Settings)
}

// BenchmarkSteadyDecideLearned is BenchmarkSteadyDecide with the value model's correction.
func BenchmarkSteadyDecideLearned(b *testing.B) {
	benchDecide(b, PolicyConfig{Learned: true, DRED: true})
}

// TestSteadyDistrustsPredictionAcrossPause: after a talker's pause under DTX the windows are as
// empty as after an outage, and the predictor (trained on senders that send every frame) may
// forecast loss and delay the measurements do not show. With the sender silent for sendPause
// or more within the last second, the policy goes by the measurements: on a clean path it
// keeps a plain setting and a short target whatever the prediction says.
func TestSteadyDistrustsPredictionAcrossPause(t *testing.T) {
	for _, gap := range []time.Duration{0, sendPause} {
		p := newSteady(t, PolicyConfig{DRED: true})
		f := snap(0, 0, 1, 2*ms)
		f.SendRateBps, f.SendGap = 40e3, gap
		d := p.Decide(0, f, pred(500e3, 0.05, 1, 95*ms))
		t.Logf("send gap %v: %+v", gap, d.Settings)
		paused := gap >= sendPause
		redundant := d.FEC || d.REDDepth > 0 || d.DRED > 0
		if paused && (redundant || d.JitterTarget > 40*ms) {
			t.Errorf("sender paused %v: the prediction of 5 %% loss and 95 ms spread was used: %+v", gap, d.Settings)
		}
		if !paused && !redundant && d.JitterTarget <= 40*ms {
			t.Errorf("sender not paused: a trusted prediction of 5 %% loss changed nothing: %+v", d.Settings)
		}
	}
}

// TestSteadyRateCostAfterCut: on a clean path with room to spare the best setting carries more
// bits once nothing has limited the call than within limitedFor of an over-use cut, and the
// preference returns when the cut is older than that.
func TestSteadyRateCostAfterCut(t *testing.T) {
	p := newSteady(t, PolicyConfig{})
	c := Conditions{OneWay: 40 * ms, DelayP50: 5 * ms, DelayP95: 20 * ms, DelayP99: 30 * ms}
	best := func(now time.Duration) Decision {
		p.rate.last = now // the time of the decision's Update
		p.tcacheOK = [len(Frames)]bool{}
		b, _ := p.bestWithin(&c, 200e3, false)
		return b.Decision
	}
	free := best(10 * time.Second)
	p.rate.cutRate, p.rate.cutAt = 40e3, 5*time.Second
	limited := best(10 * time.Second)
	if limited.WireBps >= free.WireBps {
		t.Errorf("within %v of a cut: %.0f b/s on the wire (%d b/s, %v), want less than without one (%.0f b/s)",
			limitedFor, limited.WireBps, limited.BitrateBps, limited.Frame, free.WireBps)
	}
	if again := best(5*time.Second + limitedFor); again.Settings != free.Settings {
		t.Errorf("%v after the cut: %+v, want %+v as without one", limitedFor, again.Settings, free.Settings)
	}
}
