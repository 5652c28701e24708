package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/bench"
	"github.com/parley-voice/parley/internal/netem"
	"github.com/schollz/progressbar/v3"
)

func cmdBenchAdapt(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "bench adapt", "", `Compare the adaptation policy with baselines side by side, on the same links and seeds.

Every strategy runs on every link with the same link configuration and seed, in virtual time,
with real libopus and PESQ-WB on the decoded audio (each repetition of the clip scored alone):

  fixed32       32 kb/s, 20 ms, no FEC, 80 ms fixed buffer
  fixed32+fec   the same with in-band FEC (loss hint 10 %)
  webrtc-like   pion's GCC (pion/interceptor v0.1.51 pkg/gcc, ported to run on the virtual clock:
                pion's package reads time.Now and runs goroutines) fed every 100 ms with
                transport-wide CC feedback from pion's twcc.Recorder; FEC above 1 % loss;
                40/60 ms frames below 16/12 kb/s; NetEq-like buffer (95th percentile)
  tgvoip-like   +1 kb/s per second without loss or delay growth, x0.8 on delay growth, x0.9 on
                heavy loss; 60 ms frames; FEC at 1 %, RED 1/2/3 at 2/5/8 % loss; buffer
                target mean + 2 sigma of the relative delay
  adapt         adapt.Controller: settings every 500 ms from receiver feedback 100 ms old,
                jitter target from the policy
  adapt+neteq   adapt's sender with the NetEq-like buffer instead of the policy's jitter target
                (what a live call runs unless -adapt-jitter is given)
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
min(capacity, 64 kb/s)), "never" when it did not happen within the step. Aggregates: mean and P10 (nearest rank) across runs.`)
	profiles := fs.String("profiles", strings.Join(bench.BenchProfileNames(), ","), "comma-separated profiles (empty: traces only)")
	traces := fs.String("trace", "", "comma-separated capacity trace files to add as links")
	traceFormat := fs.String("trace-format", "", "trace format: mahimahi, opennetlab or norway (default: detect)")
	traceScale := fs.Float64("trace-scale", 0, "multiply trace capacities by this (0: scale traces above 96 kb/s mean down to 96 kb/s)")
	traceDelay := fs.Duration("trace-delay", bench.DefaultTraceDelay, "one-way base delay of trace links")
	traceOffset := fs.Duration("trace-offset", 0, "start each trace this far in (a run only lasts about --repeat × 8 s)")
	strategies := fs.String("strategies", strings.Join(bench.BenchStrategies, ","), "comma-separated strategies")
	grid := fs.String("oracle-grid", "small", "hindsight grid: none, tiny (6), small (18), medium (36) or full (72 settings)")
	seeds := fs.Int("seeds", 1, "link seeds per link")
	repeat := fs.Int("repeat", 3, "repetitions of each clip per run (the controllers need seconds to learn)")
	clipsN := fs.Int("clips", 1, "clips to use (1 or 2)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "parallel runs")
	csvPath := fs.String("csv", "", "also write every run to this CSV file")
	plots := fs.String("plots", "", "write PNG plots into this directory")
	timeline := fs.String("timeline", "steps", "link whose per-strategy timeline is plotted")
	quiet := fs.Bool("quiet", false, "no per-run table and no progress bar")
	decision := fs.String("adapt-decision", "default", "adapt's decision for adapt and adapt+neteq: default (= learned), learned (steady + the value model from counterfactual rollouts), steady (trendline rate, hysteresis, quality model alone), no-predictor (learned on measurements only), no-predictor-steady, or legacy (before issue 13)")
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
		return usagef("--strategies: name at least one of %s", strings.Join(bench.BenchStrategies, ", "))
	}
	for _, s := range sts {
		if !slices.Contains(bench.BenchStrategies, s) {
			return usagef("--strategies: unknown strategy %q (have %s)", s, strings.Join(bench.BenchStrategies, ", "))
		}
	}
	var policyCfg adapt.PolicyConfig
	switch *decision {
	case "default":
	case "steady":
		policyCfg.Unlearned = true
	case "learned":
	case "legacy":
		policyCfg.Legacy = true
	case "no-predictor":
		policyCfg.NoPredictor = true
	case "no-predictor-steady":
		policyCfg.NoPredictor, policyCfg.Unlearned = true, true
	default:
		return usagef("--adapt-decision %q: want default, steady, learned, no-predictor, no-predictor-steady or legacy", *decision)
	}
	gridPts, err := bench.OracleGrid(*grid)
	if err != nil {
		return usagef("--oracle-grid: %v", err)
	}
	var links []bench.BenchLink
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
	var jobs []bench.BenchJob
	for _, l := range links {
		for _, c := range clips {
			for s := range *seeds {
				for _, st := range sts {
					j := bench.BenchJob{Link: l, Clip: c, Seed: uint64(s + 1), Repeat: *repeat, Strategy: st}
					if st == bench.StrategyAdapt || st == bench.StrategyAdaptNetEq {
						// Each run consumes its controller.
						ctl, err := adapt.NewController(nil, policyCfg)
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
		printAdaptRuns(w, rows)
	}
	if dropped > 0 {
		fmt.Fprintf(w, "dropped %d rows: seeds whose runs repeated an earlier seed's exactly on the same link\n", dropped)
	}
	printAdaptSummary(w, rows, elapsed, *workers, len(jobs))
	if *csvPath != "" {
		if err := writeAdaptCSV(*csvPath, rows); err != nil {
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
func runBenchJobs(ctx context.Context, jobs []bench.BenchJob, workers int, progress io.Writer, total int) ([]bench.BenchRow, error) {
	var bar *progressbar.ProgressBar
	if progress != nil {
		bar = newProgressBar(progress, total, "bench adapt")
	}
	rows := make([]bench.BenchRow, len(jobs))
	var mu sync.Mutex
	err := bench.ForEach(ctx, len(jobs), workers, func(_ context.Context, i int) error {
		r, err := bench.RunBenchJob(jobs[i])
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

func fmtDur(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

// fmtReact prints a react/recover time: "-" without a rate schedule, "never" for −1.
func fmtReact(has bool, d time.Duration) string {
	switch {
	case !has:
		return "-"
	case d < 0:
		return "never"
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

func printAdaptRuns(w io.Writer, rows []bench.BenchRow) {
	fmt.Fprintf(w, "%-16s %-12s %4s %5s %5s %7s %7s %6s %6s %6s %6s %6s %7s %7s %6s %6s  %s\n", "link", "strategy", "seed", "PESQ", "MOS",
		"m2e50", "m2e95", "buf", "late", "lost", "int/m", "kb/s", "q95", "netloss", "react", "recov", "oracle setting")
	for _, r := range rows {
		setting := ""
		if r.Strategy == bench.StrategyOracle {
			setting = r.Fixed.String()
		}
		fmt.Fprintf(w, "%-16s %-12s %4d %5.2f %5.2f %7s %7s %6s %5.1f%% %5.1f%% %6.1f %6.1f %7s %6.1f%% %6s %6s  %s\n",
			trunc(r.Profile, 16), r.Strategy, r.Seed, r.PESQ, r.MOS, fmtDur(r.M2EP50), fmtDur(r.M2EP95), fmtDur(r.BufferDelay), 100*r.ConcealLate,
			100*r.ConcealLost, r.InterruptionsPerMin, r.PayloadKbps, fmtDur(r.QueueP95), 100*r.NetworkLoss,
			fmtReact(r.HasSteps, r.React), fmtReact(r.HasSteps, r.Recover), setting)
	}
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func printAdaptSummary(w io.Writer, rows []bench.BenchRow, elapsed time.Duration, workers, jobs int) {
	sums := bench.Summarize(rows)
	runs := 0
	if len(sums) > 0 {
		runs = sums[0].Runs
	}
	fmt.Fprintf(w, "\nside by side: %d distinct runs per strategy (links x clips x seeds), %d pipeline runs in %v on %d workers\n",
		runs, jobs, elapsed.Round(time.Second), workers)
	fmt.Fprintf(w, "%-12s %5s %5s %5s %5s %6s %7s %7s %6s %6s %6s %6s %7s %6s %6s\n", "strategy", "PESQ", "P10", "MOS", "P10",
		"int/m", "m2e50", "m2e95", "buf", "late", "lost", "kb/s", "q95", "react", "recov")
	for _, s := range sums {
		fmt.Fprintf(w, "%-12s %5.2f %5.2f %5.2f %5.2f %6.2f %7s %7s %6s %5.2f%% %5.2f%% %6.1f %7s %6s %6s\n", s.Strategy, s.PESQMean,
			s.PESQP10, s.MOSMean, s.MOSP10, s.InterruptionsPerMin, fmtDur(s.M2EP50), fmtDur(s.M2EP95), fmtDur(s.BufferDelay), 100*s.ConcealLate,
			100*s.ConcealLost, s.PayloadKbps, fmtDur(s.QueueP95), fmtReact(s.HasSteps, s.React), fmtReact(s.HasSteps, s.Recover))
	}
	fmt.Fprintln(w, "(means across runs; P10 = 10th percentile across runs; m2e and q95 = means of each run's percentiles;")
	fmt.Fprintln(w, " react/recov = worst over the runs on rate-step links; hindsight* is an oracle, not a strategy)")
	has := func(st string) bool {
		return slices.ContainsFunc(sums, func(s bench.StrategySummary) bool { return s.Strategy == st })
	}
	if !has(bench.StrategyAdapt) {
		return
	}
	for _, against := range []string{"best baseline", bench.StrategyFixedFEC, bench.StrategyOracle} {
		if against != "best baseline" && !has(against) {
			continue
		}
		v := bench.CompareRuns(rows, bench.StrategyAdapt, against)
		if v.Runs == 0 {
			continue
		}
		intr := "n/a (no interruptions in the reference)"
		if !math.IsNaN(v.Interruptions) {
			intr = fmt.Sprintf("%+.0f%%", 100*v.Interruptions)
		}
		fmt.Fprintf(w, "adapt vs %s (per run): PESQ mean %+.2f, P10 %+.2f; MOS mean %+.2f, P10 %+.2f; interruptions %s; higher PESQ on %d of %d runs\n",
			against, v.PESQ, v.PESQP10, v.MOS, v.MOSP10, intr, v.Wins, v.Runs)
		if against == "best baseline" && len(v.Losses) > 0 {
			fmt.Fprintf(w, "  adapt below the best baseline on: %s\n", strings.Join(v.Losses, "; "))
		}
	}
	printAdaptTargets(w, rows)
}

// meanOf averages f over the rows of strategy st on links accepted by link; ok is false when
// there are none.
func meanOf(rows []bench.BenchRow, st string, link func(string) bool, f func(bench.BenchRow) float64) (float64, bool) {
	var sum float64
	n := 0
	for _, r := range rows {
		if r.Strategy == st && link(r.Profile) {
			sum += f(r)
			n++
		}
	}
	if n == 0 {
		return math.NaN(), false
	}
	return sum / float64(n), true
}

func metMissed(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// printAdaptTargets checks issue 7's targets that this run measured.
func printAdaptTargets(w io.Writer, rows []bench.BenchRow) {
	A := bench.StrategyAdapt
	is := func(names ...string) func(string) bool {
		return func(p string) bool { return slices.Contains(names, p) }
	}
	cellular := func(p string) bool {
		return slices.Contains([]string{"3g", "lte", "lte-bursty", "cellular", "edge"}, p) ||
			strings.HasPrefix(p, "mm:") || strings.HasPrefix(p, "onl:") || strings.HasPrefix(p, "no:")
	}
	pesq := func(r bench.BenchRow) float64 { return r.PESQ }
	kbps := func(r bench.BenchRow) float64 { return r.PayloadKbps }
	mos := func(r bench.BenchRow) float64 { return r.MOS }
	buf := func(r bench.BenchRow) float64 { return float64(r.BufferDelay.Milliseconds()) }
	conc := func(r bench.BenchRow) float64 { return 100 * (r.ConcealLate + r.ConcealLost) }
	fmt.Fprintln(w, "\nissue 7 targets, adapt (only those this run measures):")
	if p, ok := meanOf(rows, A, is("bursty20"), pesq); ok {
		k, _ := meanOf(rows, A, is("bursty20"), kbps)
		f, _ := meanOf(rows, bench.StrategyFixedFEC, is("bursty20"), pesq)
		fmt.Fprintf(w, "  20 %% bursty loss: PESQ-WB %.2f at %.1f kb/s payload (target >= 3.3 at <= 48 kb/s; fixed32+fec %.2f): %s\n",
			p, k, f, metMissed(p >= 3.3 && k <= 48))
	}
	if v := bench.CompareRuns(rows, A, bench.StrategyFixedFEC); v.Runs > 0 {
		ok := v.PESQ >= 0.15 && v.PESQP10 >= 0.3 && (math.IsNaN(v.Interruptions) || v.Interruptions <= -0.4)
		fmt.Fprintf(w, "  vs fixed32+fec: PESQ mean %+.2f (>= +0.15), P10 %+.2f (>= +0.30); MOS mean %+.2f, P10 %+.2f; interruptions %+.0f%% (<= -40%%): %s\n",
			v.PESQ, v.PESQP10, v.MOS, v.MOSP10, 100*v.Interruptions, metMissed(ok))
	}
	if b, ok := meanOf(rows, A, cellular, buf); ok {
		nb, ok2 := meanOf(rows, bench.StrategyWebRTC, cellular, buf)
		c, _ := meanOf(rows, A, cellular, conc)
		nc, _ := meanOf(rows, bench.StrategyWebRTC, cellular, conc)
		if ok2 {
			fmt.Fprintf(w, "  cellular links: buffer delay %.0f ms vs NetEq-like %.0f ms (target <= %.0f ms) at concealment %.2f%% vs %.2f%%: %s\n",
				b, nb, 0.7*nb, c, nc, metMissed(b <= 0.7*nb && c <= nc))
		}
	}
	for _, r := range rows {
		if r.Strategy == A && r.HasSteps && r.Seed == 1 {
			fmt.Fprintf(w, "  %s: react %s (target <= 0.5 s), recover %s (target <= 2 s): %s\n", r.Profile,
				fmtReact(true, r.React), fmtReact(true, r.Recover),
				metMissed(r.React >= 0 && r.React <= 500*time.Millisecond && r.Recover >= 0 && r.Recover <= 2*time.Second))
		}
	}
	if m, ok := meanOf(rows, A, is("clean"), mos); ok {
		best := math.Inf(-1)
		for _, st := range bench.BenchStrategies {
			if st != A && st != bench.StrategyWebRTC && st != bench.StrategyTGVoIP {
				if x, ok := meanOf(rows, st, is("clean"), mos); ok {
					best = max(best, x)
				}
			}
		}
		b, _ := meanOf(rows, A, is("clean"), buf)
		fmt.Fprintf(w, "  clean: E-model MOS %.2f vs best fixed setting %.2f (target within 0.02), buffer delay %.0f ms (target <= 40 ms): %s\n",
			m, best, b, metMissed(m >= best-0.02 && b <= 40))
	}
}

// writeAdaptCSV writes one line per run.
func writeAdaptCSV(path string, rows []bench.BenchRow) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(f)
	_ = cw.Write([]string{"link", "clip", "seed", "strategy", "oracle_setting", "pesq_wb", "emodel_mos", "m2e_p50_ms", "m2e_p95_ms",
		"buffer_delay_ms", "conceal_late", "conceal_lost", "interruptions_per_min", "payload_kbps", "queue_p95_ms", "network_loss", "react_ms",
		"recover_ms", "changes"})
	ff := func(x float64, p int) string { return strconv.FormatFloat(x, 'f', p, 64) }
	ms := func(d time.Duration) string { return ff(float64(d)/float64(time.Millisecond), 1) }
	for _, r := range rows {
		setting, react, recov := "", "", ""
		if r.Strategy == bench.StrategyOracle {
			setting = r.Fixed.String()
		}
		if r.HasSteps {
			react, recov = ms(r.React), ms(r.Recover)
		}
		_ = cw.Write([]string{r.Profile, r.Clip, strconv.FormatUint(r.Seed, 10), r.Strategy, setting, ff(r.PESQ, 3), ff(r.MOS, 3),
			ms(r.M2EP50), ms(r.M2EP95), ms(r.BufferDelay), ff(r.ConcealLate, 4), ff(r.ConcealLost, 4), ff(r.InterruptionsPerMin, 2),
			ff(r.PayloadKbps, 2), ms(r.QueueP95), ff(r.NetworkLoss, 4), react, recov, strconv.Itoa(r.Changes)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
