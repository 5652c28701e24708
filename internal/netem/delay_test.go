package netem

import (
	"testing"
	"time"
)

func TestJitterPercentiles(t *testing.T) {
	const sigma = 10 * time.Millisecond
	for _, rho := range []float64{0, 0.7} {
		l := mustLink(t, LinkConfig{Delay: DelayConfig{Base: 40 * time.Millisecond, Jitter: sigma, JitterCorrelation: rho}}, 11)
		// 100 ms apart: FIFO ordering never has to hold a packet back.
		d, _ := delays(l, 200_000, 100*time.Millisecond, 160)
		if d[0] < 40*time.Millisecond {
			t.Fatalf("delay %v below base", d[0])
		}
		for _, c := range []struct{ p, z float64 }{{0.5, 0.674}, {0.95, 1.960}, {0.99, 2.576}} {
			got := (percentile(d, c.p) - 40*time.Millisecond).Seconds()
			if want := c.z * sigma.Seconds(); !within(got, want, 0.05) {
				t.Errorf("ρ=%v p%v: extra delay %.2f ms, want %.2f ms", rho, c.p*100, got*1e3, want*1e3)
			}
		}
	}
}

func TestFIFOUnderJitter(t *testing.T) {
	l := mustLink(t, LinkConfig{Delay: DelayConfig{Base: 20 * time.Millisecond, Jitter: 30 * time.Millisecond}}, 2)
	var last time.Duration
	for i := range 50_000 {
		dv := l.Send(time.Duration(i)*5*time.Millisecond, 100)
		if dv.At < last {
			t.Fatalf("packet %d reordered without Reorder", i)
		}
		last = dv.At
	}
}

// TestG1050Profiles checks the three managed-network profiles against the episode structure they
// document and against each other.
func TestG1050Profiles(t *testing.T) {
	const n = 500_000 // 10 000 s at 50 packets/s
	var p99 [3]time.Duration
	for i, name := range []string{"well-managed", "partly-managed", "unmanaged"} {
		cfg, err := Profile(name)
		if err != nil {
			t.Fatal(err)
		}
		l := mustLink(t, cfg, 100)
		d, _ := delays(l, n, 20*time.Millisecond, 160)
		p99[i] = percentile(d, 0.99)
		st := l.Stats()
		// Outages: fraction of time ≈ rate × mean duration.
		wantOut := cfg.Outage.Rate * cfg.Outage.Duration.Seconds()
		gotOut := float64(st.OutageDrops) / n
		if wantOut == 0 && gotOut != 0 || wantOut > 0 && !within(gotOut, wantOut, 0.6) {
			t.Errorf("%s: outage fraction %.5f, want ≈ %.5f", name, gotOut, wantOut)
		}
		// Random loss among packets not in an outage.
		gotLoss := float64(st.Lost) / float64(n-st.OutageDrops)
		if !within(gotLoss, cfg.Loss.Rate, 0.25) {
			t.Errorf("%s: loss %.4f, want %.4f", name, gotLoss, cfg.Loss.Rate)
		}
		// Median: base plus typical jitter, untouched by rare episodes.
		if med := percentile(d, 0.5) - cfg.Delay.Base; med < 0 || med > 2*cfg.Delay.Jitter {
			t.Errorf("%s: median extra delay %v with σ %v", name, med, cfg.Delay.Jitter)
		}
		t.Logf("%s: p50 %v p99 %v p99.9 %v max %v, loss %.4f, outage %.5f", name,
			percentile(d, 0.5), p99[i], percentile(d, 0.999), d[len(d)-1], gotLoss, gotOut)
	}
	if !(p99[0] < p99[1] && p99[1] < p99[2]) {
		t.Errorf("p99 delays %v not increasing with less management", p99)
	}
}

func TestImpulseShape(t *testing.T) {
	// One impulse per second on average, 200 ms long, 100 ms peak: the delay jumps, then drains.
	cfg := LinkConfig{Delay: DelayConfig{Base: 10 * time.Millisecond, Impulses: impulses(1, 200*time.Millisecond, 100*time.Millisecond)}}
	l := mustLink(t, cfg, 4)
	d, _ := delays(l, 100_000, time.Millisecond, 100)
	frac := float64(len(d)-countBelow(d, 10*time.Millisecond+time.Microsecond)) / float64(len(d))
	// Share of time inside an impulse: 0.2/(1+0.2) (episodes do not overlap).
	if !within(frac, 0.2/1.2, 0.2) {
		t.Errorf("fraction of packets delayed by impulses %.3f, want ≈ %.3f", frac, 0.2/1.2)
	}
	if mx := d[len(d)-1]; mx > 110*time.Millisecond || mx < 100*time.Millisecond {
		t.Errorf("max delay %v, want ≈ base+peak", mx)
	}
}

func countBelow(sorted []time.Duration, v time.Duration) int {
	n := 0
	for _, x := range sorted {
		if x < v {
			n++
		}
	}
	return n
}

func TestCellularGaps(t *testing.T) {
	cfg := LinkConfig{Delay: DelayConfig{Base: 50 * time.Millisecond, Gaps: EventConfig{Rate: 0.2, Duration: 300 * time.Millisecond}}}
	l := mustLink(t, cfg, 8)
	const n = 100_000 // 2000 s at 20 ms
	var last time.Duration
	var gaps int
	var heldMax time.Duration
	for i := range n {
		at := time.Duration(i) * 20 * time.Millisecond
		dv := l.Send(at, 100)
		if dv.Dropped {
			t.Fatal("a gap lost a packet")
		}
		if i > 0 && dv.At-last > 100*time.Millisecond {
			gaps++
		}
		heldMax = max(heldMax, dv.At-at)
		last = dv.At
	}
	// Gaps longer than ~80 ms: rate 0.2/s × 2000 s × P(exp(300ms) > 80ms) ≈ 400 × 0.77.
	if want := 0.2 * 2000 * 0.766; !within(float64(gaps), want, 0.2) {
		t.Errorf("%d delivery gaps, want ≈ %.0f", gaps, want)
	}
	if heldMax < 500*time.Millisecond {
		t.Errorf("longest hold %v: gaps do not hold packets", heldMax)
	}
}

func TestOutageDrops(t *testing.T) {
	l := mustLink(t, LinkConfig{Outage: EventConfig{Rate: 0.1, Duration: time.Second}}, 6)
	_, dropped := delays(l, 200_000, 10*time.Millisecond, 100)
	if got, want := float64(dropped)/200_000, 0.1/1.1; !within(got, want, 0.2) {
		t.Errorf("outage drops %.4f, want ≈ %.4f", got, want)
	}
}
