package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/internal/netem"
)

// RolloutConfig configures ValueSamples. Zero fields take the defaults given.
type RolloutConfig struct {
	// Links is how many random training links (netem's generators, as for the predictor) are
	// run (40), each for Duration (40 s), with seed Seed (1).
	Links    int
	Duration time.Duration
	Seed     uint64
	// Every is the decision period of the behaviour policy (500 ms); every Fork-th decision
	// after Warmup (5 s) is forked (Fork 4: every 2 s).
	Every  time.Duration
	Fork   int
	Warmup time.Duration
	// Window is how long each candidate runs in a fork (2 s), FeedbackDelay how old the
	// sender's view of the receiver is (100 ms, as in bench adapt).
	Window        time.Duration
	FeedbackDelay time.Duration
}

func (c *RolloutConfig) defaults() {
	if c.Links <= 0 {
		c.Links = 40
	}
	if c.Duration <= 0 {
		c.Duration = 40 * time.Second
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Every <= 0 {
		c.Every = 500 * time.Millisecond
	}
	if c.Fork <= 0 {
		c.Fork = 4
	}
	if c.Warmup <= 0 {
		c.Warmup = 5 * time.Second
	}
	if c.Window <= 0 {
		c.Window = 2 * time.Second
	}
	if c.FeedbackDelay <= 0 {
		c.FeedbackDelay = 100 * time.Millisecond
	}
}

// ValueSamples generates the training data of adapt's value model by counterfactual rollouts.
// A sender driven by the default policy without a value model (the behaviour policy) runs over
// each random link in virtual time, at the packet level (packet sizes from the settings' wire
// rate; no codec is needed to know what the link does with them). At each forked decision the
// link, deterministic given its seed, is rebuilt and replayed up to that point, and every
// candidate setting (bitrates around the budget × recovery variants × 20/40 ms frames, each
// with the policy's jitter target for it) is sent for Window instead: what each yields (frames
// concealed after FEC/RED recovery and playout at the target, their burstiness, interruptions,
// mouth-to-ear delay) is scored with adapt's one QoE (Quality.QoE), and the sample's residual is
// that QoE less the quality model's forecast for the candidate, less the mean of that over the
// decision's candidates (the policy ranks candidates). The same config gives the same samples,
// bit for bit.
func ValueSamples(cfg RolloutConfig) ([]adapt.ValueSample, error) {
	cfg.defaults()
	q, err := adapt.NewQuality(nil, adapt.DefaultFixedDelay)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	var out []adapt.ValueSample
	for i := range cfg.Links {
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)+0x5eed))
		lc, _ := randomTrainLink(rng, cfg.Duration)
		s, err := rolloutLink(cfg, q, lc, cfg.Seed*1000+uint64(i))
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	return out, nil
}

// simSend is one packet of a rollout: when it was sent, its size and what the link did.
type simSend struct {
	at      time.Duration
	size    int
	arrival time.Duration // −1: lost
}

// rolloutLink runs the behaviour policy over one link and forks it at decision points.
func rolloutLink(cfg RolloutConfig, q *adapt.Quality, lc netem.LinkConfig, seed uint64) ([]adapt.ValueSample, error) {
	link, err := netem.NewLink(lc, seed)
	if err != nil {
		return nil, fmt.Errorf("bench: rollout link: %w", err)
	}
	ctl, err := adapt.NewController(nil, adapt.PolicyConfig{Quality: q, Unlearned: true})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	var hist []simSend
	var out []adapt.ValueSample
	cur := ctl.Policy.Current()
	next, decisions := time.Duration(0), 0
	fed, nextRTT := 0, time.Duration(0)
	for at := time.Duration(0); at < cfg.Duration; at += cur.Frame {
		if at >= next {
			// The sender learns of arrivals FeedbackDelay after them.
			view := max(at-cfg.FeedbackDelay, 0)
			for ; fed < len(hist) && hist[fed].at <= view; fed++ {
				h := hist[fed]
				if h.arrival > view {
					break // still in flight (the link keeps packets in order)
				}
				if h.arrival < 0 {
					continue
				}
				ctl.Tracker.OnPacket(h.arrival, h.at, uint16(fed), h.size)
				if h.arrival >= nextRTT {
					ctl.Tracker.OnRTT(h.arrival, h.arrival-h.at+cfg.FeedbackDelay)
					nextRTT = h.arrival + time.Second
				}
			}
			d := ctl.Decide(view)
			decisions++
			if at >= cfg.Warmup && decisions%cfg.Fork == 0 && at+cfg.Window <= cfg.Duration {
				s, err := forkCandidates(cfg, q, ctl, lc, seed, hist, at)
				if err != nil {
					return nil, err
				}
				out = append(out, s...)
			}
			cur = d.Settings
			next = at + cfg.Every
		}
		size := packetBytes(&cur)
		ctl.Tracker.OnSend(at, size)
		dl := link.Send(at, size)
		h := simSend{at: at, size: size, arrival: -1}
		if !dl.Dropped {
			h.arrival = dl.At
		}
		hist = append(hist, h)
	}
	return out, nil
}

// packetBytes is the wire size of one packet of s.
func packetBytes(s *adapt.Settings) int {
	return max(int(math.Round(s.WireBps(adapt.DefaultOverheadBytes)*s.Frame.Seconds()/8)), 1)
}

// rolloutVariants are the recovery variants a fork tries: FEC, RED depth and low-rate copies.
var rolloutVariants = []struct {
	fec      bool
	red, low int
}{{false, 0, 0}, {true, 0, 0}, {false, 1, 0}, {false, 2, 0}, {false, 3, 0}, {false, 1, adapt.DefaultLowRateBps},
	{false, 2, adapt.DefaultLowRateBps}, {true, 1, 0}}

// forkCandidates rebuilds the link, replays hist up to at and runs every candidate for the
// window, returning one sample per candidate.
func forkCandidates(cfg RolloutConfig, q *adapt.Quality, ctl *adapt.Controller, lc netem.LinkConfig, seed uint64,
	hist []simSend, at time.Duration) ([]adapt.ValueSample, error) {
	c, budget := ctl.Policy.LastContext()
	f := ctl.Tracker.Features(max(at-cfg.FeedbackDelay, 0))
	ctx := adapt.ValueContext(&f, &c, budget)
	// The base one-way delay as the receiver knows it: the least delay so far.
	base := time.Duration(math.MaxInt64)
	for _, h := range hist {
		if h.arrival >= 0 {
			base = min(base, h.arrival-h.at)
		}
	}
	if base == time.Duration(math.MaxInt64) {
		return nil, nil
	}
	var out []adapt.ValueSample
	for _, fr := range []time.Duration{20 * time.Millisecond, 40 * time.Millisecond} {
		for _, v := range rolloutVariants {
			n := 0
			for bi := len(adapt.Bitrates) - 1; bi >= 0 && n < 2; bi-- {
				s := adapt.Settings{BitrateBps: adapt.Bitrates[bi], Frame: fr, FEC: v.fec, REDDepth: v.red, REDLowRateBps: v.low}
				if s.FEC {
					s.LossHint = min(max(c.Loss, 0.01), 0.25)
				}
				if (v.low > 0 && s.BitrateBps <= v.low) || !ctl.Policy.Fits(&s) || !q.Covers(&s) {
					continue
				}
				n++
				s.JitterTarget = ctl.Policy.TargetFor(&s)
				o, err := forkRun(cfg, lc, seed, hist, at, base, &s)
				if err != nil {
					return nil, err
				}
				qoe := adapt.QoE(&o)
				fc := ctl.Policy.Forecast(&s)
				if math.IsInf(qoe, 0) || math.IsInf(fc, 0) {
					continue
				}
				out = append(out, adapt.ValueSample{Context: ctx, Candidate: adapt.ValueCandidate(&s, budget, adapt.DefaultOverheadBytes),
					Residual: qoe - fc})
			}
		}
	}
	// The policy only ranks candidates: what matters is how much better or worse than the
	// others each did compared with its forecast. A gap or outage in the window costs every
	// candidate alike; taking the decision's mean residual out keeps such events from
	// swamping the fit.
	var mean float64
	for i := range out {
		mean += out[i].Residual
	}
	for i := range out {
		out[i].Residual -= mean / float64(len(out))
	}
	return out, nil
}

// forkRun replays hist up to at on a fresh link and sends s for the window; the outcome is that
// of the window's frames, played out at base + s.JitterTarget after their sending.
func forkRun(cfg RolloutConfig, lc netem.LinkConfig, seed uint64, hist []simSend, at, base time.Duration, s *adapt.Settings) (adapt.Outcome, error) {
	link, err := netem.NewLink(lc, seed)
	if err != nil {
		return adapt.Outcome{}, err
	}
	for _, h := range hist {
		if h.at >= at {
			break
		}
		link.Send(h.at, h.size)
	}
	size := packetBytes(s)
	n := int(cfg.Window / s.Frame)
	// Delay of each packet above the playout budget: arrived in time for frame k at
	// at + k·frame + base + target.
	var arrive [256]time.Duration
	if n > len(arrive) {
		n = len(arrive)
	}
	for k := range n {
		t := at + time.Duration(k)*s.Frame
		d := link.Send(t, size)
		arrive[k] = -1
		if !d.Dropped {
			arrive[k] = d.At - t
		}
	}
	budget := base + s.JitterTarget
	inTime := func(k, lag int) bool { // packet k+lag carries frame k in time
		j := k + lag
		return j < n && arrive[j] >= 0 && arrive[j]+time.Duration(lag)*s.Frame <= budget
	}
	concealed, runs, run, interruptions := 0, 0, 0, 0
	endRun := func() {
		if run > 0 {
			runs++
			if time.Duration(run)*s.Frame >= adapt.InterruptionMin {
				interruptions++
			}
		}
		run = 0
	}
	for k := range n {
		ok := inTime(k, 0)
		if !ok && s.FEC {
			ok = inTime(k, 1)
		}
		for lag := 1; !ok && lag <= s.REDDepth; lag++ {
			ok = inTime(k, lag)
		}
		if ok {
			endRun()
			continue
		}
		concealed++
		run++
	}
	endRun()
	o := adapt.Outcome{Settings: *s, MouthToEar: adapt.MouthToEar(s, base), Interruptions: interruptions}
	if n > 0 {
		o.Concealed = float64(concealed) / float64(n)
	}
	if runs > 0 {
		o.MeanBurst = float64(concealed) / float64(runs)
	}
	return o, nil
}
