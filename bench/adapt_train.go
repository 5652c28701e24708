package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/engine/media"
	"github.com/parley-voice/parley/internal/netem"
)

// TrainDataConfig configures AdaptTrainingSamples. The zero value of a field means the default.
type TrainDataConfig struct {
	Traces   int           // synthetic traces (300)
	Duration time.Duration // length of each trace (60 s)
	Seed     uint64        // every link and sender draws from this seed
	// Every is the spacing of the samples taken in each trace (250 ms).
	Every time.Duration
}

func (c *TrainDataConfig) defaults() {
	if c.Traces <= 0 {
		c.Traces = 300
	}
	if c.Duration <= 0 {
		c.Duration = time.Minute
	}
	if c.Every <= 0 {
		c.Every = 250 * time.Millisecond
	}
}

// Warm-up before a trace's first sample, and the horizons of the targets.
const (
	trainWarmup      = 5 * time.Second
	trainLossHorizon = time.Second     // loss, burst and delay targets: the next second
	trainRateHorizon = 2 * time.Second // sustainable rate: the least capacity over the next 2 s
	// trainMaxRateBps caps the sustainable-rate target: above it every voice setting fits.
	trainMaxRateBps = 512e3
)

// AdaptTrainingSamples generates the predictor's training data: Traces seeded random links (from
// netem's generators: Bernoulli and Gilbert–Elliott loss, correlated jitter, scheduling slots,
// jitter impulses, delivery gaps, outages, and RFC 8867-style capacity step schedules with a
// droptail queue) carrying a voice-like sender whose bitrate, frame size and so packet rate
// change every few seconds. Every Every from the warm-up on it snapshots an adapt.Tracker fed
// with the arrivals (and the sender's sends and an RTT), and pairs the snapshot with the targets
// observed next. The same configuration gives the same samples, in the same order.
func AdaptTrainingSamples(cfg TrainDataConfig) ([]adapt.Sample, error) {
	cfg.defaults()
	var out []adapt.Sample
	for tr := range cfg.Traces {
		s, err := traceSamples(cfg, tr)
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	return out, nil
}

// trainPacket is one packet of a training trace.
type trainPacket struct {
	send, arrival time.Duration
	seq           uint16
	size          int
}

func traceSamples(cfg TrainDataConfig, tr int) ([]adapt.Sample, error) {
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(tr)+1))
	link, capAt := randomTrainLink(rng, cfg.Duration)
	l, err := netem.NewLink(link, rng.Uint64())
	if err != nil {
		return nil, fmt.Errorf("bench: training trace %d: %w", tr, err)
	}
	// The sender: a bitrate and frame size redrawn every 1–4 s.
	var sends, arrivals []trainPacket
	var seq uint16
	frames := []time.Duration{20 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond, 60 * time.Millisecond}
	for at, next := time.Duration(0), time.Duration(0); at < cfg.Duration; {
		frame := frames[rng.IntN(len(frames))]
		rate := 6e3 * math.Pow(16, rng.Float64()) // 6–96 kb/s
		next = at + time.Duration((1+3*rng.Float64())*float64(time.Second))
		for ; at < next && at < cfg.Duration; at += frame {
			size := int(rate*frame.Seconds()/8) + media.OverheadBytes
			p := trainPacket{send: at, seq: seq, size: size}
			seq++
			sends = append(sends, p)
			d := l.Send(at, size)
			if d.Dropped {
				continue
			}
			p.arrival = d.At
			arrivals = append(arrivals, p)
			if d.Dup {
				p.arrival = d.DupAt
				arrivals = append(arrivals, p)
			}
		}
	}
	slices.SortStableFunc(arrivals, func(a, b trainPacket) int {
		return int(min(max(a.arrival-b.arrival, -1), 1))
	})

	// Replay into a tracker, snapshotting every cfg.Every.
	t := adapt.NewTracker(0)
	var snaps []adapt.Features
	si, ai := 0, 0
	nextRTT := time.Duration(0)
	for now := cfg.Every; now <= cfg.Duration; now += cfg.Every {
		for ; si < len(sends) && sends[si].send <= now; si++ {
			t.OnSend(sends[si].send, sends[si].size)
		}
		for ; ai < len(arrivals) && arrivals[ai].arrival <= now; ai++ {
			a := arrivals[ai]
			t.OnPacket(a.arrival, a.send, a.seq, a.size)
			if a.arrival >= nextRTT {
				// An RTCP-like round trip once a second: this packet's delay, both ways.
				t.OnRTT(a.arrival, 2*(a.arrival-a.send))
				nextRTT = a.arrival + time.Second
			}
		}
		snaps = append(snaps, t.Features(now))
	}
	ahead := int(trainLossHorizon / cfg.Every)
	var out []adapt.Sample
	for i, f := range snaps {
		if f.At < trainWarmup || i+ahead >= len(snaps) || f.At+trainRateHorizon > cfg.Duration {
			continue
		}
		sustain := trainMaxRateBps
		for dt := time.Duration(0); dt <= trainRateHorizon; dt += 50 * time.Millisecond {
			sustain = min(sustain, capAt(f.At+dt))
		}
		out = append(out, adapt.Sample{X: f.Vector(), Y: adapt.Targets(&snaps[i+ahead], sustain), Trace: tr})
	}
	return out, nil
}

// randomTrainLink draws one training link and returns it with its capacity (bit/s, on the wire)
// as a function of time (trainMaxRateBps when unlimited).
func randomTrainLink(rng *rand.Rand, d time.Duration) (netem.LinkConfig, func(time.Duration) float64) {
	uni := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	msf := func(lo, hi float64) time.Duration { return time.Duration(uni(lo, hi) * float64(time.Millisecond)) }
	var c netem.LinkConfig
	c.Delay.Base = msf(5, 150)
	if rng.Float64() < 0.7 {
		c.Delay.Jitter = msf(1, 25)
		c.Delay.JitterCorrelation = uni(0, 0.9)
	}
	if rng.Float64() < 0.3 {
		c.Delay.Slot = msf(1, 5)
	}
	switch r := rng.Float64(); {
	case r < 0.25:
	case r < 0.6:
		c.Loss = netem.LossConfig{Model: netem.LossBernoulli, Rate: uni(0, 0.1)}
	default:
		c.Loss = netem.LossConfig{Model: netem.LossGilbertElliott, Rate: uni(0.01, 0.25), MeanBurst: uni(1.2, 4)}
	}
	if rng.Float64() < 0.3 {
		c.Delay.Impulses = netem.ImpulseConfig{EventConfig: netem.EventConfig{Rate: uni(0.05, 0.5), Duration: msf(100, 500)}, Peak: msf(20, 200)}
	}
	if rng.Float64() < 0.3 {
		c.Delay.Gaps = netem.EventConfig{Rate: uni(0.02, 0.3), Duration: msf(100, 500)}
	}
	if rng.Float64() < 0.1 {
		c.Outage = netem.EventConfig{Rate: 1.0 / 60, Duration: msf(500, 2000)}
	}
	if rng.Float64() < 0.3 {
		return c, func(time.Duration) float64 { return trainMaxRateBps }
	}
	// An RFC 8867-style step schedule at audio rates: 12–400 kb/s, 2–12 s per step.
	var steps []netem.RateStep
	for total := time.Duration(0); total < d+trainRateHorizon; {
		s := netem.RateStep{Duration: time.Duration(uni(2, 12) * float64(time.Second)), RateBps: int64(12e3 * math.Pow(400.0/12, rng.Float64()))}
		steps = append(steps, s)
		total += s.Duration
	}
	c.Capacity = netem.CapacityConfig{Steps: steps, QueueDelay: msf(100, 600)}
	return c, func(t time.Duration) float64 {
		for _, s := range steps {
			if t < s.Duration {
				return min(float64(s.RateBps), trainMaxRateBps)
			}
			t -= s.Duration
		}
		return min(float64(steps[len(steps)-1].RateBps), trainMaxRateBps)
	}
}
