package netem

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func run(l *Link, n int) []Delivery {
	out := make([]Delivery, n)
	for i := range out {
		out[i] = l.Send(time.Duration(i)*20*time.Millisecond, 160+i%40)
	}
	return out
}

func TestDeterminism(t *testing.T) {
	for _, name := range ProfileNames() {
		cfg, err := Profile(name)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Duplicate, cfg.Reorder = 0.01, ReorderConfig{Rate: 0.01, Delay: 30 * time.Millisecond}
		a := run(mustLink(t, cfg, 1234), 50_000)
		b := run(mustLink(t, cfg, 1234), 50_000)
		c := run(mustLink(t, cfg, 1235), 50_000)
		same, differ := true, false
		for i := range a {
			same = same && a[i] == b[i]
			differ = differ || a[i] != c[i]
		}
		if !same {
			t.Errorf("%s: same seed gave different deliveries", name)
		}
		if !differ {
			t.Errorf("%s: different seeds gave identical deliveries", name)
		}
	}
}

func TestProfiles(t *testing.T) {
	names := ProfileNames()
	if len(names) != len(profiles) {
		t.Fatalf("ProfileNames has %d names, table %d", len(names), len(profiles))
	}
	for _, want := range []string{"clean", "wifi", "lte", "lte-bursty", "3g", "edge", "satellite", "congested",
		"well-managed", "partly-managed", "unmanaged", "cellular"} {
		cfg, err := Profile(want)
		if err != nil {
			t.Errorf("%s: %v", want, err)
			continue
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", want, err)
		}
	}
	// A returned profile is a copy.
	a, _ := Profile("lte")
	a.Capacity.Markov.States[0].RateBps = 1
	if b, _ := Profile("lte"); b.Capacity.Markov.States[0].RateBps == 1 {
		t.Error("Profile returned shared state")
	}
	if _, err := Profile("nope"); !errors.Is(err, ErrUnknownProfile) || !strings.HasPrefix(err.Error(), "netem: ") {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestProfilesBehave(t *testing.T) {
	// 20 ms voice packets for 10 minutes: delays and losses in the ranges each profile claims.
	for _, c := range []struct {
		name             string
		minP50, maxP50   time.Duration
		minLoss, maxLoss float64
	}{
		{"clean", 10 * ms, 10 * ms, 0, 0},
		{"wifi", 5 * ms, 12 * ms, 0.005, 0.02},
		{"lte", 30 * ms, 40 * ms, 0.002, 0.01},
		{"lte-bursty", 40 * ms, 80 * ms, 0.02, 0.12},
		{"3g", 60 * ms, 90 * ms, 0.01, 0.04},
		{"edge", 150 * ms, 220 * ms, 0.015, 0.06},
		{"satellite", 300 * ms, 310 * ms, 0.002, 0.01},
		{"congested", 20 * ms, 40 * ms, 0.01, 0.04},
		{"cellular", 50 * ms, 65 * ms, 0.002, 0.03},
	} {
		cfg, _ := Profile(c.name)
		l := mustLink(t, cfg, 77)
		d, dropped := delays(l, 30_000, 20*time.Millisecond, 120)
		loss := float64(dropped) / 30_000
		p50 := percentile(d, 0.5)
		if p50 < c.minP50 || p50 > c.maxP50 || loss < c.minLoss || loss > c.maxLoss {
			t.Errorf("%s: p50 %v loss %.4f, want p50 in [%v, %v], loss in [%v, %v]",
				c.name, p50, loss, c.minP50, c.maxP50, c.minLoss, c.maxLoss)
		}
	}
}

func TestValidateErrors(t *testing.T) {
	mk := func(f func(*LinkConfig)) LinkConfig { var c LinkConfig; f(&c); return c }
	cases := []struct {
		field string
		cfg   LinkConfig
	}{
		{"Loss.Rate", mk(func(c *LinkConfig) { c.Loss = LossConfig{Model: LossBernoulli, Rate: 1.5} })},
		{"Loss.Rate", mk(func(c *LinkConfig) { c.Loss = LossConfig{Model: LossBernoulli, Rate: -0.1} })},
		{"Loss.MeanBurst", mk(func(c *LinkConfig) { c.Loss = LossConfig{Model: LossGilbertElliott, Rate: 0.1} })},
		{"Loss.Rate", mk(func(c *LinkConfig) { c.Loss = LossConfig{Model: LossGilbertElliott, Rate: 0.7, MeanBurst: 1} })},
		{"Loss.LossBad", mk(func(c *LinkConfig) {
			c.Loss = LossConfig{Model: LossGilbertElliott, GoodToBad: 0.1, BadToGood: 0.1, LossBad: 2}
		})},
		{"Loss.Pattern", mk(func(c *LinkConfig) { c.Loss = LossConfig{Model: LossReplay} })},
		{"Loss.Model", mk(func(c *LinkConfig) { c.Loss = LossConfig{Model: 99} })},
		{"Duplicate", mk(func(c *LinkConfig) { c.Duplicate = 2 })},
		{"Reorder.Delay", mk(func(c *LinkConfig) { c.Reorder = ReorderConfig{Rate: 0.1} })},
		{"Delay.Base", mk(func(c *LinkConfig) { c.Delay.Base = -time.Millisecond })},
		{"Delay.Jitter", mk(func(c *LinkConfig) { c.Delay.Jitter = -time.Millisecond })},
		{"Delay.JitterCorrelation", mk(func(c *LinkConfig) { c.Delay.JitterCorrelation = 1 })},
		{"Delay.Gaps.Duration", mk(func(c *LinkConfig) { c.Delay.Gaps = EventConfig{Rate: 1} })},
		{"Delay.Impulses.Rate", mk(func(c *LinkConfig) { c.Delay.Impulses.Rate = -1 })},
		{"Outage.Duration", mk(func(c *LinkConfig) { c.Outage = EventConfig{Rate: 1, Duration: -1} })},
		{"Capacity.RateBps", mk(func(c *LinkConfig) { c.Capacity.RateBps = -1 })},
		{"Capacity.QueueBytes", mk(func(c *LinkConfig) { c.Capacity.QueueBytes = -1 })},
		{"Capacity.QueueDelay", mk(func(c *LinkConfig) { c.Capacity.QueueDelay = -1 })},
		{"Capacity.Steps", mk(func(c *LinkConfig) { c.Capacity.Steps = []RateStep{{0, 1e6}, {time.Second, 1e6}} })},
		{"Capacity.Steps", mk(func(c *LinkConfig) { c.Capacity.Steps = []RateStep{{time.Second, 0}} })},
		{"Capacity", mk(func(c *LinkConfig) { c.Capacity.RateBps = 1e6; c.Capacity.Steps = []RateStep{{time.Second, 1e6}} })},
		{"Capacity.Markov.States", mk(func(c *LinkConfig) { c.Capacity.Markov = &MarkovCapacity{} })},
		{"Capacity.Markov.Transitions", mk(func(c *LinkConfig) {
			c.Capacity.Markov = &MarkovCapacity{States: []MarkovState{{1e6, time.Second}}, Transitions: [][]float64{{0.5}}}
		})},
		{"Capacity.Trace.Period", mk(func(c *LinkConfig) { c.Capacity.Trace = &Trace{Opportunities: []time.Duration{0}} })},
	}
	for _, c := range cases {
		_, err := NewLink(c.cfg, 1)
		if err == nil {
			t.Errorf("%s: no error", c.field)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "netem: "+c.field+":") {
			t.Errorf("%s: error %q does not name the field", c.field, msg)
		}
		if !errors.Is(err, ErrInvalidConfig) && !errors.Is(err, ErrInvalidTrace) {
			t.Errorf("%s: error %v wraps no sentinel", c.field, err)
		}
	}
}

func TestZeroConfigIsPerfect(t *testing.T) {
	l := mustLink(t, LinkConfig{}, 0)
	for i := range 1000 {
		at := time.Duration(i) * time.Millisecond
		if dv := l.Send(at, 1200); dv.Dropped || dv.At != at || dv.Dup {
			t.Fatalf("zero config changed packet %d: %+v", i, dv)
		}
	}
	// Times going backwards are clamped, never panic.
	if dv := l.Send(0, -5); dv.At != 999*time.Millisecond {
		t.Fatalf("backwards send: %+v", dv)
	}
}
