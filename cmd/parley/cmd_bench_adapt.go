package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/bench"
	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/internal/netem"
	"github.com/schollz/progressbar/v3"
)

func cmdBenchAdapt(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "bench adapt", "", `Compare the adaptation policy with baselines side by side, on the same links and seeds.

Every strategy runs on every link with the same link configuration and seed, in virtual time,
through the engine's own media core (engine/media: send step, receive step, a media.Policy
deciding from the receiver's arrival feedback, which travels back every 200 ms over a reverse
link with the profile's delay, jitter and loss but no capacity limit), with real libopus (the
call's encoder settings, DTX included) and PESQ-WB on the decoded audio (each repetition of the
clip scored alone):

  fixed32       32 kb/s, 20 ms, no FEC, 80 ms fixed buffer
  fixed32+fec   the same with in-band FEC (loss hint 10 %)
  webrtc-like   pion's GCC (pion/interceptor v0.1.51 pkg/gcc, ported to run on the virtual clock:
                pion's package reads time.Now and runs goroutines) run every 100 ms on
                transport-wide CC feedback built by pion's twcc.Recorder from the arrivals
                reported; FEC above 1 % loss;
                40/60 ms frames below 16/12 kb/s; NetEq-like buffer (95th percentile)
  tgvoip-like   +1 kb/s per second without loss or delay growth, x0.8 on delay growth, x0.9 on
                heavy loss; 60 ms frames; FEC at 1 %, RED 1/2/3 at 2/5/8 % loss; buffer
                target mean + 2 sigma of the relative delay
  adapt         the engine's default policy (media.AdaptPolicy over adapt.Controller):
                settings every 500 ms from the feedback (at once when a message shows
                over-use), jitter target from the policy
  adapt+neteq   adapt's sender with the engine's default buffer instead of the policy's jitter
                target (what a live call runs unless -adapt-jitter is given): the NetEq-like
                delay quantile plus the cover the sender's RED/FEC/DRED needs while packets are
                lost, read from the packets (engine/jitter ModeDefault)
  adapt+floor   adapt's sender with the NetEq-like buffer whose target is raised to the floor
                the sender's frame and FEC/RED depth need for the copies to arrive in time
  adapt+track   adapt's sender with the tracking buffer (engine/jitter ModeTrack): a quantile
                of the recent relative delay forgetting in time, the same redundancy cover, a
                shorter hold (A/B against adapt+neteq)
  hindsight*    ORACLE: per link and seed, the best fixed setting of a grid (--oracle-grid, plus
                the two fixed baselines) chosen afterwards by PESQ-WB; an upper reference among
                fixed settings, not a strategy a call could run

Links: the profiles (--profiles: netem profiles, "bursty20" = 20 % Gilbert-Elliott loss with mean
burst 2.5, "steps" = RFC 8867-style capacity steps 128 -> 48 -> 16 -> 64 kb/s, "g1050-a/b/c" =
G.1050-style well/partly/un-managed) and any capacity traces given with --trace (Mahimahi,
OpenNetLab JSON or Norway HSDPA; format from the extension or the first line, or --trace-format).
Traces are mostly megabits per second, far above audio rates: by default (--trace-scale 0) a
trace whose mean capacity exceeds 96 kb/s is scaled down to that mean, keeping its dips and
outages; --trace-scale F multiplies every capacity by F instead. Traces get --trace-delay of
one-way base delay and a 300 ms droptail queue; a run uses only --repeat x 8 s of a trace,
starting --trace-offset plus a seeded start into it (every seed samples another stretch; every
strategy of one seed sees the same one). Seeds whose runs repeat an earlier seed's exactly are
dropped, so the means and P10 count distinct runs only.

Metrics per run: PESQ-WB; E-model MOS (G.107.1, Opus table) per 2 s window, averaged;
mouth-to-ear delay p50/p95 (capture -> playout, with packetization); buf = mean jitter-buffer
delay (arrival -> playout of the audio played from packets, as webrtc-stats jitterBufferDelay);
concealed audio split into late (packet came after its playout) and lost (never came, not
recovered by FEC/RED); interruptions (>= 150 ms of consecutive concealment) per minute; payload
kb/s; queueing delay p95 (delivery delay minus base propagation); on links with a rate
schedule: react (capacity drop until the queueing delay is back under 100 ms and the wire rate
under the new capacity) and recover (capacity rise until the wire rate reaches 90 % of
min(capacity, 64 kb/s)), "never" when it did not happen within the step. The metrics cover
the audio of the repetitions PESQ scores, not the second of silence that flushes the sender,
and count the sender's DTX silence as silence, not concealment, also where a receiver learns it
only from the next packet. Aggregates: mean and P10 (nearest rank) across runs.`)
	profiles := fs.String("profiles", strings.Join(bench.BenchProfileNames(), ","), "comma-separated profiles (empty: traces only)")
	traces := fs.String("trace", "", "comma-separated capacity trace files to add as links")
	traceFormat := fs.String("trace-format", "", "trace format: mahimahi, opennetlab or norway (default: detect)")
	traceScale := fs.Float64("trace-scale", 0, "multiply trace capacities by this (0: scale traces above 96 kb/s mean down to 96 kb/s)")
	traceDelay := fs.Duration("trace-delay", bench.DefaultTraceDelay, "one-way base delay of trace links")
	traceOffset := fs.Duration("trace-offset", 0, "start each trace this far in (a run only lasts about --repeat × 8 s)")
	strategies := fs.String("strategies", strings.Join(bench.StrategyNames(), ","), "comma-separated strategies")
	grid := fs.String("oracle-grid", "small", "hindsight grid: none, tiny (6), small (18), medium (36) or full (72 settings)")
	seeds := fs.Int("seeds", 1, "link seeds per link")
	repeat := fs.Int("repeat", 3, "repetitions of each clip per run (the controllers need seconds to learn)")
	clipsN := fs.Int("clips", 1, "clips to use (1 or 2)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "parallel runs")
	csvPath := fs.String("csv", "", "also write every run to this CSV file (one line per run; pesq_wb_reps: the PESQ-WB of each repetition of the clip)")
	plots := fs.String("plots", "", "write PNG plots into this directory")
	timeline := fs.String("timeline", "steps", "link whose per-strategy timeline is plotted")
	quiet := fs.Bool("quiet", false, "no per-run table and no progress bar")
	decision := fs.String("adapt-decision", "default", "adapt's decision for adapt and adapt+neteq: default (= steady), steady (trendline rate, hysteresis, quality model alone), learned (steady + the value model from counterfactual rollouts), no-predictor (steady on measurements only), no-predictor-learned, or legacy (before issue 13)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("bench adapt takes no arguments, got %q", fs.Args())
	}
	if *seeds < 1 || *repeat < 1 || *workers < 1 || *clipsN < 1 {
		return usagef("--seeds, --repeat, --workers and --clips must be at least 1 (got %d, %d, %d, %d)", *seeds, *repeat, *workers, *clipsN)
	}
	if *traceScale < 0 || math.IsNaN(*traceScale) || math.IsInf(*traceScale, 0) {
		return usagef("--trace-scale must be a finite number ≥ 0 (got %v)", *traceScale)
	}
	if *traceDelay < 0 || *traceOffset < 0 {
		return usagef("--trace-delay and --trace-offset must not be negative (got %v, %v)", *traceDelay, *traceOffset)
	}
	var format netem.TraceFormat
	if *traceFormat != "" {
		format = netem.TraceFormat(*traceFormat)
		if !slices.Contains(netem.TraceFormats(), format) {
			return usagef("--trace-format %q: want mahimahi, opennetlab or norway", *traceFormat)
		}
	}
	sts := splitList(*strategies)
	if len(sts) == 0 {
		return usagef("--strategies: name at least one of %s", strings.Join(bench.StrategyNames(), ", "))
	}
	for _, s := range sts {
		if _, err := bench.LookupStrategy(s); err != nil {
			return usagef("--strategies: unknown strategy %q (have %s; and %s when named)", s,
				strings.Join(bench.StrategyNames(), ", "), bench.StrategyFixedDRED)
		}
	}
	// DRED as the engine sends it: whenever the linked libopus has it.
	policyCfg := adapt.PolicyConfig{DRED: codec.Features().DRED}
	switch *decision {
	case "default":
	case "steady":
	case "learned":
		policyCfg.Learned = true
	case "legacy":
		policyCfg.Legacy = true
	case "no-predictor":
		policyCfg.NoPredictor = true
	case "no-predictor-learned":
		policyCfg.NoPredictor, policyCfg.Learned = true, true
	default:
		return usagef("--adapt-decision %q: want default, steady, learned, no-predictor, no-predictor-learned or legacy", *decision)
	}
	gridPts, err := bench.OracleGrid(*grid)
	if err != nil {
		return usagef("--oracle-grid: %v", err)
	}
	var links []bench.Link
	for _, p := range splitList(*profiles) {
		l, err := bench.ProfileLink(p)
		if err != nil {
			return usagef("--profiles: %v", err)
		}
		links = append(links, l)
	}
	var notes []string
	for _, path := range splitList(*traces) {
		l, note, err := bench.TraceLink(path, bench.TraceOptions{Format: format, Scale: *traceScale, BaseDelay: *traceDelay, Offset: *traceOffset})
		if err != nil {
			return usagef("--trace: %v", err)
		}
		links = append(links, l)
		notes = append(notes, note)
	}
	if len(links) == 0 {
		return usagef("no links: give --profiles or --trace")
	}
	// Fail before the long run, not after it, when an output cannot be written.
	if *csvPath != "" {
		if err := os.WriteFile(*csvPath, nil, 0o644); err != nil {
			return err
		}
	}
	if *plots != "" {
		if err := os.MkdirAll(*plots, 0o755); err != nil {
			return err
		}
	}
	clips, err := bench.DefaultClips()
	if err != nil {
		return err
	}
	clips = clips[:min(*clipsN, len(clips))]

	// One job per strategy run; the oracle is one job per grid point, reduced afterwards.
	var jobs []bench.Job
	for _, l := range links {
		for _, c := range clips {
			for s := range *seeds {
				for _, st := range sts {
					j := bench.Job{Link: l, Clip: c, Seed: uint64(s + 1), Repeat: *repeat, Strategy: st}
					if st == bench.StrategyAdapt || st == bench.StrategyAdaptNetEq || st == bench.StrategyAdaptFloor || st == bench.StrategyAdaptTrack {
						// Each run consumes its controller.
						pc := policyCfg
						pc.TargetFloor = st == bench.StrategyAdaptFloor
						ctl, err := adapt.NewController(nil, pc)
						if err != nil {
							return err
						}
						j.Adapt.Controller = ctl
					}
					if st != bench.StrategyOracle {
						jobs = append(jobs, j)
						continue
					}
					for _, g := range gridPts {
						j.Fixed = g
						jobs = append(jobs, j)
					}
				}
			}
		}
	}
	w := env.Stdout
	for _, n := range notes {
		fmt.Fprintf(w, "trace %s\n", n)
	}
	start := time.Now()
	rows, err := runBenchJobs(ctx, jobs, *workers, progressOut(env.Stderr, *quiet), len(jobs))
	if err != nil {
		return err
	}
	rows = bench.PickOracle(rows)
	// A seed that repeats an earlier seed's outcome on a link is the same run again: count
	// only distinct runs.
	rows, dropped := bench.DistinctRuns(rows)
	elapsed := time.Since(start)
	if !*quiet {
		bench.WriteAdaptRuns(w, rows)
	}
	if dropped > 0 {
		fmt.Fprintf(w, "dropped %d rows: seeds whose runs repeated an earlier seed's exactly on the same link\n", dropped)
	}
	runs := 0
	if sums := bench.Summarize(rows); len(sums) > 0 {
		runs = sums[0].Runs
	}
	fmt.Fprintf(w, "\nside by side: %d distinct runs per strategy (links x clips x seeds), %d pipeline runs in %v on %d workers\n",
		runs, len(jobs), elapsed.Round(time.Second), *workers)
	bench.WriteAdaptSummary(w, rows)
	if *csvPath != "" {
		if err := writeFile(*csvPath, func(f *os.File) error { return bench.WriteAdaptCSV(f, rows) }); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %s\n", *csvPath)
	}
	if *plots != "" {
		paths, err := bench.PlotBench(*plots, rows, *timeline)
		if err != nil {
			return err
		}
		for _, p := range paths {
			fmt.Fprintf(w, "wrote %s\n", p)
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func progressOut(w io.Writer, quiet bool) io.Writer {
	if quiet {
		return nil
	}
	return w
}

// runBenchJobs runs jobs on a pool of workers, in any order, and returns the rows in job order.
// It stops at the first error or when ctx is cancelled.
func runBenchJobs(ctx context.Context, jobs []bench.Job, workers int, progress io.Writer, total int) ([]bench.Row, error) {
	var bar *progressbar.ProgressBar
	if progress != nil {
		bar = newProgressBar(progress, total, "bench adapt")
	}
	rows := make([]bench.Row, len(jobs))
	var mu sync.Mutex
	err := bench.ForEach(ctx, len(jobs), workers, func(_ context.Context, i int) error {
		r, err := bench.RunJob(jobs[i])
		rows[i] = r
		if bar != nil {
			mu.Lock()
			_ = bar.Add(1)
			mu.Unlock()
		}
		return err
	})
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return nil, err
	}
	return rows, nil
}
