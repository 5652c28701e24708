package netem

import (
	"testing"
	"time"
)

// lossRuns offers n packets and returns the loss fraction and the mean length of runs of
// consecutive losses.
func lossRuns(l *Link, n int) (rate, meanBurst float64) {
	var lost, bursts, run int
	for i := range n {
		if l.Send(time.Duration(i)*20*time.Millisecond, 100).Dropped {
			lost++
			run++
			continue
		}
		if run > 0 {
			bursts++
			run = 0
		}
	}
	if run > 0 {
		bursts++
	}
	if bursts == 0 {
		return float64(lost) / float64(n), 0
	}
	return float64(lost) / float64(n), float64(lost) / float64(bursts)
}

func TestBernoulliRate(t *testing.T) {
	for _, p := range []float64{0, 0.01, 0.1, 0.3, 1} {
		l := mustLink(t, LinkConfig{Loss: LossConfig{Model: LossBernoulli, Rate: p}}, 7)
		rate, burst := lossRuns(l, 200_000)
		t.Logf("Bernoulli %.2f: measured %.4f, mean run %.3f", p, rate, burst)
		if !within(rate, p, 0.05) && !(p == 0 && rate == 0) {
			t.Errorf("Bernoulli %v: loss %v", p, rate)
		}
		// Independent losses: mean run length 1/(1−p).
		if p > 0 && p < 1 && !within(burst, 1/(1-p), 0.05) {
			t.Errorf("Bernoulli %v: mean burst %v, want %v", p, burst, 1/(1-p))
		}
	}
}

func TestGilbertElliottRateAndBurst(t *testing.T) {
	cases := []struct{ rate, burst float64 }{
		{0.05, 2.5}, {0.10, 2.5}, {0.20, 2.5}, {0.30, 2.5}, {0.02, 1}, {0.10, 6}, {0.30, 10},
	}
	for _, c := range cases {
		l := mustLink(t, LinkConfig{Loss: LossConfig{Model: LossGilbertElliott, Rate: c.rate, MeanBurst: c.burst}}, 42)
		rate, burst := lossRuns(l, 500_000)
		t.Logf("GE configured %.2f/%.1f: measured loss %.4f, mean burst %.3f", c.rate, c.burst, rate, burst)
		if !within(rate, c.rate, 0.05) {
			t.Errorf("GE %v/%v: loss %.4f", c.rate, c.burst, rate)
		}
		if !within(burst, c.burst, 0.05) {
			t.Errorf("GE %v/%v: mean burst %.3f", c.rate, c.burst, burst)
		}
	}
}

func TestGilbertElliottFourParameter(t *testing.T) {
	p, r, lg, lb := 0.02, 0.25, 0.01, 0.7
	l := mustLink(t, LinkConfig{Loss: LossConfig{Model: LossGilbertElliott,
		GoodToBad: p, BadToGood: r, LossGood: lg, LossBad: lb}}, 3)
	rate, _ := lossRuns(l, 500_000)
	want := p/(p+r)*lb + r/(p+r)*lg
	if !within(rate, want, 0.05) {
		t.Errorf("4-parameter GE: loss %.4f, want %.4f", rate, want)
	}
}

func TestLossReplay(t *testing.T) {
	pat := []bool{false, true, true, false, false}
	l := mustLink(t, LinkConfig{Loss: LossConfig{Model: LossReplay, Pattern: pat}}, 1)
	for i := range 23 {
		if got := l.Send(time.Duration(i)*time.Millisecond, 100).Dropped; got != pat[i%len(pat)] {
			t.Fatalf("packet %d: dropped %v, want %v", i, got, pat[i%len(pat)])
		}
	}
}

func TestDuplicateAndReorder(t *testing.T) {
	cfg := LinkConfig{Duplicate: 0.05, Reorder: ReorderConfig{Rate: 0.1, Delay: 50 * time.Millisecond},
		Delay: DelayConfig{Base: 20 * time.Millisecond}}
	l := mustLink(t, cfg, 9)
	const n = 100_000
	var dups, late int
	ats := make([]time.Duration, n)
	for i := range n {
		dv := l.Send(time.Duration(i)*10*time.Millisecond, 200)
		if dv.Dup {
			dups++
			if dv.DupAt < dv.At {
				t.Fatal("duplicate before original")
			}
		}
		ats[i] = dv.At
	}
	for i := 1; i < n; i++ {
		if ats[i-1] > ats[i] {
			late++ // overtaken by the next packet
		}
	}
	if !within(float64(dups)/n, 0.05, 0.1) {
		t.Errorf("duplicates %v, want 0.05", float64(dups)/n)
	}
	// A held packet (+50 ms) is overtaken by the next one unless that one is held too.
	if got := float64(late) / n; got < 0.05 || got > 0.12 {
		t.Errorf("reordered fraction %v, want about 0.09", got)
	}
	st := l.Stats()
	if st.Reordered == 0 || st.Duplicated != int64(dups) {
		t.Errorf("stats %+v", st)
	}
}
