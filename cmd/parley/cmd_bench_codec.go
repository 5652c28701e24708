package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parley-voice/parley/bench"
	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/internal/netem"
)

func cmdBenchCodec(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "bench codec", "", `Sweep Opus settings under simulated loss and score the decoded speech with PESQ.

Every configuration (bitrate, frame size, FEC, RED depth, low-rate RED copies, and with libopus
1.5 Deep PLC, OSCE and DRED) is run over every
network condition (0 %, random and bursty loss of 5/10/20/30 %, plus any --trace) on real speech
(Debian's codec2-examples) for several loss seeds, in virtual time through the userspace link
emulator, with real libopus encoding and decoding. Prints a table of PESQ-WB (P.862.2 with
Corrigendum 2) and PESQ-NB (P.862.1) means with 95 % confidence intervals, the payload rate
including RED, and the loss left after FEC/RED; writes codec.csv, codec.json and PNG plots.`)
	out := fs.String("out", "parley-bench", "directory for codec.csv, codec.json and the PNG plots")
	seeds := fs.Int("seeds", 5, "loss seeds per cell (loss draws move PESQ by about ±0.3: use ≥ 5)")
	workers := fs.Int("workers", 0, "parallel runs (0: one per core)")
	quick := fs.Bool("quick", false, "a small matrix (3 configs × 3 conditions × 1 clip × 2 seeds) to try the bench quickly")
	configs := fs.String("configs", "", "comma-separated config names to keep (default: all; see -list)")
	conditions := fs.String("conditions", "", "comma-separated condition names to keep, e.g. \"bursty 10%,bursty 20%\" (default: all; see -list)")
	rate := fs.Int("rate", 48000, "Opus sample rate to encode and decode at: 48000 (the engine's) or 16000 (most published sweeps)")
	list := fs.Bool("list", false, "list the default configs and conditions and exit")
	var traces, wavs multiFlag
	fs.Var(&traces, "trace", "add a capacity-trace condition: FORMAT:PATH with FORMAT mahimahi|opennetlab|norway (repeatable)")
	fs.Var(&wavs, "wav", "add a speech clip from a WAV file (repeatable)")
	noProgress := fs.Bool("no-progress", false, "do not draw the progress bar")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("bench codec takes no arguments, got %q", fs.Args())
	}
	if *seeds < 1 || *seeds > 1000 {
		return usagef("-seeds %d: want 1 to 1000", *seeds)
	}
	if *rate != 48000 && *rate != 16000 {
		return usagef("-rate %d: want 48000 or 16000", *rate)
	}

	sweep := bench.CodecSweep{Configs: bench.DefaultCodecConfigs(), Conditions: bench.DefaultConditions(), Seeds: *seeds, Workers: *workers, SampleRateHz: *rate}
	if *list {
		for _, c := range sweep.Configs {
			note := ""
			if err := c.Check(); err != nil {
				note = " (unavailable: " + codec.Features().String() + ")"
			}
			fmt.Fprintf(env.Stdout, "config    %-22s %3d kb/s %2d ms fec=%-5v red=%d low=%d dec=%d dred=%v%s\n", c.Name, c.BitrateBps/1000,
				max(20, int(c.Frame/time.Millisecond)), c.FEC, c.REDDepth, c.REDLowRateBps, c.DecoderComplexity, c.DRED, note)
		}
		for _, c := range sweep.Conditions {
			fmt.Fprintf(env.Stdout, "condition %s\n", c.Name)
		}
		return nil
	}
	if *configs != "" {
		sel, err := pickNamed(sweep.Configs, func(c bench.CodecConfig) string { return c.Name }, *configs, "-configs", "config")
		if err != nil {
			return err
		}
		sweep.Configs = sel
	} else {
		// The neural configs need libopus 1.5 (make links it); against another libopus the default
		// matrix runs without them and says so. Named with -configs, they fail with the reason.
		var avail []bench.CodecConfig
		dropped := 0
		for _, c := range sweep.Configs {
			if c.Check() == nil {
				avail = append(avail, c)
			} else {
				dropped++
			}
		}
		if dropped > 0 {
			fmt.Fprintf(env.Stderr, "bench codec: skipping %d Deep PLC/OSCE/DRED configs: linked %s (build with make for libopus 1.5.2)\n", dropped, codec.Features())
		}
		sweep.Configs = avail
	}
	if *conditions != "" {
		sel, err := pickNamed(sweep.Conditions, func(c bench.Condition) string { return c.Name }, *conditions, "-conditions", "condition")
		if err != nil {
			return err
		}
		sweep.Conditions = sel
	}
	for _, t := range traces {
		format, path, ok := strings.Cut(t, ":")
		if !ok {
			return usagef("-trace %q: want FORMAT:PATH, e.g. mahimahi:ATT-LTE-driving.up", t)
		}
		tr, err := netem.LoadTrace(path, netem.TraceFormat(format))
		if err != nil {
			return err
		}
		sweep.Conditions = append(sweep.Conditions, bench.TraceCondition(filepath.Base(path), tr))
	}
	clips, err := bench.DefaultClips()
	if err != nil {
		return err
	}
	for _, w := range wavs {
		c, err := bench.ClipFromWAV(w)
		if err != nil {
			return err
		}
		clips = append(clips, c)
	}
	sweep.Clips = clips
	if *quick {
		sweep.Configs = pick(sweep.Configs, "32k-plc", "32k-fec", "32k-red2")
		sweep.Conditions = sweep.Conditions[:1:1]
		for _, c := range bench.DefaultConditions() {
			if c.Name == "random 10%" || c.Name == "bursty 20%" {
				sweep.Conditions = append(sweep.Conditions, c)
			}
		}
		sweep.Clips, sweep.Seeds = sweep.Clips[:1], min(*seeds, 2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}

	total := sweep.Runs()
	fmt.Fprintf(env.Stderr, "bench codec: %d configs × %d conditions × %d clips × up to %d seeds = %d runs at %d Hz; %s\n",
		len(sweep.Configs), len(sweep.Conditions), len(sweep.Clips), sweep.Seeds, total, *rate, codec.Features())
	if !*noProgress {
		bar := newProgressBar(env.Stderr, total, "runs")
		sweep.Progress = func(done, _ int) { bar.Set(done) }
		defer bar.Finish()
	}
	start := time.Now()
	rows, err := sweep.Run(ctx)
	interrupted := errors.Is(err, bench.ErrInterrupted)
	switch {
	case interrupted && len(rows) == 0:
		fmt.Fprintf(env.Stderr, "bench codec: interrupted before any cell (config × condition) finished; nothing written\n")
		return &outcomeError{msg: "interrupted", code: exitInterrupted}
	case interrupted:
		fmt.Fprintf(env.Stderr, "bench codec: interrupted; keeping the %d of %d cells (config × condition) whose runs all finished\n",
			len(rows), len(sweep.Configs)*len(sweep.Conditions))
	case err != nil:
		return err
	}
	if err := bench.WriteCodecTable(env.Stdout, rows); err != nil {
		return err
	}
	files := []string{filepath.Join(*out, "codec.csv"), filepath.Join(*out, "codec.json")}
	if err := writeFile(files[0], func(f *os.File) error { return bench.WriteCodecCSV(f, rows) }); err != nil {
		return err
	}
	if err := writeFile(files[1], func(f *os.File) error { return bench.WriteCodecJSON(f, rows) }); err != nil {
		return err
	}
	plots, err := bench.PlotCodec(*out, rows)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "bench codec: %d runs in %s; wrote %s\n", total, time.Since(start).Round(time.Second), strings.Join(append(files, plots...), ", "))
	fmt.Fprintf(env.Stdout, "\nreproduce: parley bench codec%s\n", shellArgs(args))
	if interrupted {
		fmt.Fprintf(env.Stderr, "bench codec: interrupted (the files hold the finished cells only)\n")
		return &outcomeError{msg: "interrupted", code: exitInterrupted}
	}
	return nil
}

// shellArgs renders args for a shell command line, quoting those with spaces or specials.
func shellArgs(args []string) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteByte(' ')
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$`!*?[]{}()<>|&;#~%") {
			b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
			continue
		}
		b.WriteString(a)
	}
	return b.String()
}

func pick(cs []bench.CodecConfig, names ...string) []bench.CodecConfig {
	var out []bench.CodecConfig
	for _, n := range names {
		for _, c := range cs {
			if c.Name == n {
				out = append(out, c)
			}
		}
	}
	return out
}

// writeFile creates path, runs fill on it and closes it, reporting the first error.
func writeFile(path string, fill func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// pickNamed keeps the items of all (in their order) whose name is in the comma-separated list
// csv; a name in csv that no item has is a usage error naming flag and what.
func pickNamed[T any](all []T, name func(T) string, csv, flag, what string) ([]T, error) {
	keep := map[string]bool{}
	for _, n := range strings.Split(csv, ",") {
		keep[strings.TrimSpace(n)] = true
	}
	var sel []T
	for _, c := range all {
		if keep[name(c)] {
			sel = append(sel, c)
			delete(keep, name(c))
		}
	}
	for n := range keep {
		return nil, usagef("%s: unknown %s %q (see -list)", flag, what, n)
	}
	return sel, nil
}
