package bench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/internal/netem"
)

// CodecConfig is one sender configuration of the codec sweep.
type CodecConfig struct {
	Name          string
	BitrateBps    int
	Frame         time.Duration
	FEC           bool // in-band FEC, loss hint = the condition's loss rate (at least 5 %)
	REDDepth      int  // 0..3 earlier frames repeated per packet
	REDLowRateBps int  // 0: copies are the primary encoding; else a separate encoder at this rate
	// DecoderComplexity is the receiver's decoder complexity: 0 classic PLC,
	// codec.DecoderDeepPLC (5) Deep PLC, codec.DecoderLACE / DecoderNoLACE (6, 7) Deep PLC with
	// OSCE enhancement. Levels above 0 need libopus 1.5 with the feature (codec.Features).
	DecoderComplexity int
	// DRED is the Deep REDundancy each packet carries (codec.Settings.DRED; its bits come out of
	// BitrateBps), with the loss hint set as for FEC. The receiver then rebuilds lost frames from
	// the DRED of a packet up to dredLookahead frames later (its jitter buffer grows to match).
	DRED time.Duration
	// LossHint, when > 0, is the encoder's loss hint whatever the condition (with FEC or DRED):
	// what a sender that sets it itself sends, such as the adaptation's DRED (adapt/dred.go).
	LossHint float64
}

// dredLookahead is how many frames past a lost one a DRED config's jitter buffer waits for: a
// packet that late still arrives in time to rebuild the loss (as in the reference check).
const dredLookahead = 3

// Condition is one network condition of the codec sweep.
type Condition struct {
	Name     string
	Link     netem.LinkConfig
	LossRate float64 // nominal loss fraction (for plots and the FEC loss hint)
	Bursty   bool
	// SeedInvariant marks a condition with no random process (a clean link): it runs with one
	// seed only, since more would repeat the same result.
	SeedInvariant bool
	// SeedSlot, when > 0, seeds the condition's loss draws as if it were condition number
	// SeedSlot−1 of the sweep, wherever it stands: DefaultConditions numbers its conditions, so
	// each draws the same losses whichever of them a sweep selects (`-conditions`). Zero seeds
	// by position.
	SeedSlot int
}

// CodecSweep is a benchmark matrix: every config × condition × clip × seed.
type CodecSweep struct {
	Configs    []CodecConfig
	Conditions []Condition
	Clips      []Clip
	Seeds      int // loss seeds per cell, ≥ 1; the same seeds are used for every config
	// SampleRateHz is the rate every run encodes, decodes and plays at (SendConfig.SampleRateHz);
	// 0 means 48 kHz, the engine's rate. 16000 reproduces the setup of most published sweeps.
	SampleRateHz int
	Workers      int // parallel runs; ≤ 0 means GOMAXPROCS
	// Progress, when set, is called after each run (from one goroutine at a time).
	Progress func(done, total int)
}

// CodecRow is the aggregate of one config × condition cell over clips and seeds.
type CodecRow struct {
	Config        string  `json:"config"`
	Condition     string  `json:"condition"`
	LossRate      float64 `json:"loss_rate"`
	Bursty        bool    `json:"bursty"`
	BitrateBps    int     `json:"bitrate_bps"`
	FrameMs       int     `json:"frame_ms"`
	FEC           bool    `json:"fec"`
	REDDepth      int     `json:"red_depth"`
	REDLowRateBps int     `json:"red_low_rate_bps"`
	DecoderCompl  int     `json:"decoder_complexity"`
	DREDMs        int     `json:"dred_ms"`
	SampleRateHz  int     `json:"sample_rate_hz"`
	JitterBufMs   int     `json:"jitter_buffer_ms"`
	Runs          int     `json:"runs"`
	WB            float64 `json:"pesq_wb"`
	WBCI          float64 `json:"pesq_wb_ci95"` // half-width of the 95 % CI over loss seeds
	NB            float64 `json:"pesq_nb"`
	NBCI          float64 `json:"pesq_nb_ci95"`
	PayloadKbps   float64 `json:"payload_kbps"`
	NetworkLoss   float64 `json:"network_loss"`
	ResidualLoss  float64 `json:"residual_loss"`
	// DREDShare is the fraction of sent frames rebuilt from DRED.
	DREDShare float64 `json:"dred_recovered"`
}

// fecMinLossHint keeps FEC active even on a clean link, so its cost shows at 0 % loss.
const fecMinLossHint = 0.05

// jitterBuffer is the fixed playout delay a config gets: long enough for its redundancy to
// arrive in time (RED depth d needs d frames more), at least 60 ms.
func (c CodecConfig) jitterBuffer() time.Duration {
	depth := c.REDDepth
	if c.DRED > 0 {
		depth = max(depth, dredLookahead)
	}
	return max(60*time.Millisecond, time.Duration(depth+1)*c.frame()+20*time.Millisecond)
}

func (c CodecConfig) frame() time.Duration {
	if c.Frame == 0 {
		return 20 * time.Millisecond
	}
	return c.Frame
}

func (c CodecConfig) sendConfig(cond Condition) SendConfig {
	s := codec.DefaultSettings()
	s.BitrateBps = c.BitrateBps
	s.FEC = c.FEC
	s.LossHint = 0
	s.DRED = c.DRED
	if c.FEC || c.DRED > 0 {
		s.LossHint = max(cond.LossRate, fecMinLossHint)
		if c.LossHint > 0 {
			s.LossHint = c.LossHint
		}
	}
	return SendConfig{Settings: s, Frame: c.frame(), REDDepth: c.REDDepth, REDLowRateBps: c.REDLowRateBps}
}

// check reports a config this libopus cannot run (Deep PLC, OSCE or DRED missing) or that is
// out of range.
func (c CodecConfig) check() error {
	if err := c.sendConfig(Condition{}).Settings.Validate(); err != nil {
		return err
	}
	f := codec.Features()
	switch {
	case c.DecoderComplexity < 0 || c.DecoderComplexity > 10:
		return fmt.Errorf("DecoderComplexity %d (want 0 to 10)", c.DecoderComplexity)
	case c.DecoderComplexity >= codec.DecoderLACE && !f.OSCE,
		c.DecoderComplexity >= codec.DecoderDeepPLC && !f.DeepPLC,
		c.DRED > 0 && !f.DRED:
		return fmt.Errorf("%w: linked %s; build with make (scripts/opus.sh) for libopus 1.5.2", codec.ErrUnavailable, f)
	}
	return nil
}

// Runs is the number of pipeline runs the sweep makes.
func (s CodecSweep) Runs() int { return len(s.jobs()) }

func (s CodecSweep) jobs() []sweepJob {
	var jobs []sweepJob
	for i := range s.Configs {
		for j := range s.Conditions {
			seeds := s.Seeds
			if s.Conditions[j].SeedInvariant {
				seeds = 1
			}
			for k := range s.Clips {
				for seed := range seeds {
					jobs = append(jobs, sweepJob{i, j, k, seed})
				}
			}
		}
	}
	return jobs
}

type sweepJob struct{ cfg, cond, clip, seed int }

type sweepOut struct {
	wb, nb, kbps, netLoss, resLoss, dred float64
	err                                  error
}

// Run executes the sweep on Workers goroutines and aggregates one row per config × condition,
// in config-major order. When ctx is cancelled it stops starting runs, waits for those under way
// and returns the rows of the cells whose every run finished, with an error wrapping
// ErrInterrupted and ctx's error. A run that fails
// (for example PESQ finding no speech in a fully lost clip) fails the sweep with its cell named.
func (s CodecSweep) Run(ctx context.Context) ([]CodecRow, error) {
	if len(s.Configs) == 0 || len(s.Conditions) == 0 || len(s.Clips) == 0 || s.Seeds < 1 {
		return nil, fmt.Errorf("%w: sweep needs configs, conditions, clips and Seeds ≥ 1 (have %d, %d, %d, %d)",
			ErrConfig, len(s.Configs), len(s.Conditions), len(s.Clips), s.Seeds)
	}
	for _, c := range s.Configs {
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("%w: config %q: %w", ErrConfig, c.Name, err)
		}
	}
	if s.SampleRateHz != 0 && s.SampleRateHz != 8000 && s.SampleRateHz != 12000 && s.SampleRateHz != 16000 &&
		s.SampleRateHz != 24000 && s.SampleRateHz != SampleRateHz {
		return nil, fmt.Errorf("%w: SampleRateHz %d (want 8000, 12000, 16000, 24000 or 48000)", ErrConfig, s.SampleRateHz)
	}
	jobs := s.jobs()
	workers := s.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	results := make([]sweepOut, len(jobs))
	var (
		mu   sync.Mutex
		done int
	)
	finished := make([]bool, len(jobs))
	err := ForEach(ctx, len(jobs), workers, func(_ context.Context, i int) error {
		results[i] = s.runJob(jobs[i])
		finished[i] = results[i].err == nil
		if s.Progress != nil {
			mu.Lock()
			done++
			s.Progress(done, len(jobs))
			mu.Unlock()
		}
		return results[i].err
	})
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			j, r := completeCells(jobs, results, finished)
			if len(j) == len(jobs) {
				return s.aggregate(jobs, results), nil // cancelled after the last run began
			}
			return s.aggregate(j, r), fmt.Errorf("%w: %w", ErrInterrupted, err)
		}
		return nil, err
	}
	return s.aggregate(jobs, results), nil
}

// completeCells keeps the jobs (and results) of the config × condition cells whose every run
// finished.
func completeCells(jobs []sweepJob, results []sweepOut, finished []bool) ([]sweepJob, []sweepOut) {
	type key struct{ cfg, cond int }
	open := map[key]bool{}
	for i, j := range jobs {
		if !finished[i] {
			open[key{j.cfg, j.cond}] = true
		}
	}
	var kj []sweepJob
	var kr []sweepOut
	for i, j := range jobs {
		if !open[key{j.cfg, j.cond}] {
			kj, kr = append(kj, j), append(kr, results[i])
		}
	}
	return kj, kr
}

func (s CodecSweep) runJob(j sweepJob) sweepOut {
	cfg, cond, clip := s.Configs[j.cfg], s.Conditions[j.cond], s.Clips[j.clip]
	where := fmt.Sprintf("config %q, condition %q, clip %q, seed %d", cfg.Name, cond.Name, clip.Name, j.seed)
	// The same loss seed for every config: configurations are compared on identical loss draws
	// (as far as their packet counts agree), which narrows the differences' confidence intervals.
	slot := j.cond
	if cond.SeedSlot > 0 {
		slot = cond.SeedSlot - 1
	}
	seed := uint64(j.seed+1)*7919 + uint64(slot)*104729 + uint64(j.clip)*15485863
	link, err := netem.NewLink(cond.Link, seed)
	if err != nil {
		return sweepOut{err: fmt.Errorf("bench: %s: %w", where, err)}
	}
	sc := cfg.sendConfig(cond)
	sc.SampleRateHz = s.rate()
	rx := &FixedReceiver{Delay: cfg.jitterBuffer(), FEC: cfg.FEC, Complexity: cfg.DecoderComplexity, DRED: cfg.DRED > 0}
	res, err := Run(clip.Samples, sc, link, rx)
	if err == nil {
		err = rx.Err()
	}
	if err != nil {
		return sweepOut{err: fmt.Errorf("bench: %s: %w", where, err)}
	}
	q, err := ScoreAt(res.Sent, res.Received, sc.SampleRateHz)
	if err != nil {
		return sweepOut{err: fmt.Errorf("bench: %s: %w", where, err)}
	}
	var dred float64
	if sent := res.Receive.Frames - res.Receive.Silent; sent > 0 {
		dred = float64(res.Receive.RecoveredDRED) / float64(sent)
	}
	return sweepOut{wb: q.WB, nb: q.NB, kbps: res.PayloadKbps(), netLoss: res.NetworkLoss, resLoss: res.Receive.ResidualLoss(), dred: dred}
}

func (s CodecSweep) rate() int {
	if s.SampleRateHz == 0 {
		return SampleRateHz
	}
	return s.SampleRateHz
}

func (s CodecSweep) aggregate(jobs []sweepJob, results []sweepOut) []CodecRow {
	type key struct{ cfg, cond int }
	cells := map[key][]int{}
	for i, j := range jobs {
		k := key{j.cfg, j.cond}
		cells[k] = append(cells[k], i)
	}
	var rows []CodecRow
	for i, c := range s.Configs {
		for j, cond := range s.Conditions {
			idx := cells[key{i, j}]
			if len(idx) == 0 {
				continue // not run (an interrupted sweep)
			}
			// Confidence intervals are over loss seeds: each seed's score is first averaged over
			// the clips, so differences between clips do not widen the interval.
			wbSeed, nbSeed, nSeed := map[int]float64{}, map[int]float64{}, map[int]int{}
			var kbps, nl, rl, dr float64
			for _, k := range idx {
				o, seed := results[k], jobs[k].seed
				wbSeed[seed] += o.wb
				nbSeed[seed] += o.nb
				nSeed[seed]++
				kbps += o.kbps
				nl += o.netLoss
				rl += o.resLoss
				dr += o.dred
			}
			var wb, nb []float64
			for seed := range len(nSeed) {
				wb = append(wb, wbSeed[seed]/float64(nSeed[seed]))
				nb = append(nb, nbSeed[seed]/float64(nSeed[seed]))
			}
			n := float64(len(idx))
			r := CodecRow{
				Config: c.Name, Condition: cond.Name, LossRate: cond.LossRate, Bursty: cond.Bursty,
				BitrateBps: c.BitrateBps, FrameMs: int(c.frame() / time.Millisecond), FEC: c.FEC,
				REDDepth: c.REDDepth, REDLowRateBps: c.REDLowRateBps,
				DecoderCompl: c.DecoderComplexity, DREDMs: int(c.DRED / time.Millisecond), SampleRateHz: s.rate(),
				JitterBufMs: int(c.jitterBuffer() / time.Millisecond), Runs: len(idx),
				PayloadKbps: kbps / n, NetworkLoss: nl / n, ResidualLoss: rl / n, DREDShare: dr / n,
			}
			r.WB, r.WBCI = MeanCI(wb)
			r.NB, r.NBCI = MeanCI(nb)
			rows = append(rows, r)
		}
	}
	return rows
}
