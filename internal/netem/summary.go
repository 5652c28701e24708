package netem

import (
	"fmt"
	"strings"
	"time"
)

// Summary describes c in one line, e.g. "delay 30ms, jitter 4ms, loss 0.5%, capacity Markov
// 1–20 Mbit/s, queue 150ms, gaps 0.05/s×150ms".
func (c LinkConfig) Summary() string {
	var parts []string
	add := func(format string, a ...any) { parts = append(parts, fmt.Sprintf(format, a...)) }
	d := c.Delay
	add("delay %v", d.Base)
	if d.Jitter > 0 {
		add("jitter %v", d.Jitter)
	}
	switch l := c.Loss; l.Model {
	case LossBernoulli:
		add("loss %.3g%%", l.Rate*100)
	case LossGilbertElliott:
		if l.GoodToBad == 0 && l.BadToGood == 0 {
			add("loss %.3g%% bursts of %.3g", l.Rate*100, l.MeanBurst)
		} else {
			add("loss GE p=%.3g r=%.3g", l.GoodToBad, l.BadToGood)
		}
	case LossReplay:
		add("loss pattern of %d", len(l.Pattern))
	}
	cp := c.Capacity
	switch {
	case cp.RateBps > 0:
		add("capacity %s", bps(float64(cp.RateBps)))
	case len(cp.Steps) > 0:
		add("capacity %d steps", len(cp.Steps))
	case cp.Markov != nil:
		lo, hi := cp.Markov.States[0].RateBps, cp.Markov.States[0].RateBps
		for _, s := range cp.Markov.States {
			lo, hi = min(lo, s.RateBps), max(hi, s.RateBps)
		}
		add("capacity Markov %s–%s", bps(float64(lo)), bps(float64(hi)))
	case cp.Trace != nil:
		add("capacity trace mean %s", bps(cp.Trace.MeanRateBps()))
	}
	if cp.QueueDelay > 0 {
		add("queue %v", cp.QueueDelay)
	}
	if cp.QueueBytes > 0 {
		add("queue %d B", cp.QueueBytes)
	}
	ep := func(name string, e EventConfig) {
		if e.Rate > 0 {
			add("%s %.3g/s×%v", name, e.Rate, e.Duration.Round(time.Millisecond))
		}
	}
	ep("impulses", d.Impulses.EventConfig)
	ep("flaps", d.Flaps.EventConfig)
	ep("gaps", d.Gaps)
	ep("outages", c.Outage)
	if c.Duplicate > 0 {
		add("dup %.3g%%", c.Duplicate*100)
	}
	if c.Reorder.Rate > 0 {
		add("reorder %.3g%%", c.Reorder.Rate*100)
	}
	return strings.Join(parts, ", ")
}

func bps(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.3g Mbit/s", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.3g kbit/s", v/1e3)
	}
	return fmt.Sprintf("%.0f bit/s", v)
}
