package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parley-voice/parley/adapt/emodel"
	"github.com/parley-voice/parley/bench"
)

func cmdBenchRefit(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "bench refit", "", `Refit the E-model's Opus impairments (Ie, Bpl) from a PESQ-WB sweep with real libopus.

Runs the codec sweep (bench codec's pipeline: real libopus in virtual time through the link
emulator, a fixed buffer long enough for the redundancy, PESQ-WB of the decoded speech) over
bitrate × frame × FEC × RED depth (and RED with low-rate copies) under no loss and random and
bursty (Gilbert–Elliott) loss, then fits per setting, on the G.107.1 scale: Ie = 129 − R of the
lossless PESQ-WB, and Bpl (random and bursty) by least squares on
Ie,eff = Ie + (129 − Ie)·Ppl/(Ppl/BurstR + Bpl) over the lossy conditions, Ppl the measured
network loss (the setting's FEC/RED recovery is folded into its Bpl). Writes the table as the
versioned data file adapt/emodel embeds (opus_parley.csv), its header naming this command.

The default matrix is 246 settings × (1 + 5 lossy conditions × seeds) runs of the 8 s wideband
clip: 1476 runs with -seeds 1, under 10 minutes on 2 cores; the checked-in table used -seeds 2.
Shrink it with the flags.`)
	out := fs.String("out", "adapt/emodel/opus_parley.csv", "the data file to write")
	rowsOut := fs.String("rows", "", "also write the raw sweep rows (bench codec's CSV) here")
	version := fs.String("version", bench.RefitVersion, "the table's version label")
	seeds := fs.Int("seeds", 1, "loss seeds per lossy cell")
	workers := fs.Int("workers", 0, "parallel runs (0: one per core)")
	def := bench.DefaultRefitGrid()
	bitrates := fs.String("bitrates", joinInts(def.BitratesBps, 1000), "bitrates, kb/s")
	frames := fs.String("frames", "20,40,60", "frame sizes, ms")
	fec := fs.String("fec", "off,on", "FEC settings (off, on)")
	red := fs.String("red", "0,1,2,3", "RED depths (0..3)")
	low := fs.Int("low", def.LowRateBps/1000, "also RED with low-rate copies at this rate, kb/s (0: none)")
	random := fs.String("random", "5,15", "random loss rates, %")
	bursty := fs.String("bursty", "5,10,20", "bursty loss rates, %")
	meanBurst := fs.Float64("burst", def.MeanBurst, "mean loss-run length of the bursty conditions, packets")
	clipsN := fs.Int("clips", 1, "speech clips (1: the wideband one, 2: also the narrowband one)")
	decoder := fs.Int("decoder-complexity", 0,
		"receiver decoder complexity, 0-10 (0: classic PLC, as the checked-in table; 5+: Deep PLC, 6: LACE, 7: NoLACE where libopus has them)")
	noProgress := fs.Bool("no-progress", false, "do not draw the progress bar")
	from := fs.String("from", "", "fit from sweep rows written earlier with -rows instead of sweeping (the grid flags then only label the fit)")
	pool := fs.Bool("pool", true, "fit one Bpl per curve (all bitrates of a frame/FEC/RED/low-rate setting) instead of one per bitrate")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("bench refit takes no arguments, got %q", fs.Args())
	}
	g := bench.RefitGrid{LowRateBps: *low * 1000, MeanBurst: *meanBurst, DecoderComplexity: *decoder}
	var err error
	if g.BitratesBps, err = parseInts("-bitrates", *bitrates, 1000); err != nil {
		return err
	}
	fr, err := parseInts("-frames", *frames, 1)
	if err != nil {
		return err
	}
	for _, f := range fr {
		if f != 20 && f != 40 && f != 60 {
			return usagef("-frames: %d ms (want 20, 40 or 60)", f)
		}
		g.Frames = append(g.Frames, time.Duration(f)*time.Millisecond)
	}
	for _, s := range strings.Split(*fec, ",") {
		switch strings.TrimSpace(s) {
		case "off":
			g.FEC = append(g.FEC, false)
		case "on":
			g.FEC = append(g.FEC, true)
		default:
			return usagef("-fec: %q (want off or on)", s)
		}
	}
	if g.REDDepths, err = parseInts("-red", *red, 1); err != nil {
		return err
	}
	rl, err := parseFloats("-random", *random)
	if err != nil {
		return err
	}
	bl, err := parseFloats("-bursty", *bursty)
	if err != nil {
		return err
	}
	for _, p := range rl {
		g.RandomLoss = append(g.RandomLoss, p/100)
	}
	for _, p := range bl {
		g.BurstyLoss = append(g.BurstyLoss, p/100)
	}
	if *seeds < 1 || *seeds > 100 {
		return usagef("-seeds %d: want 1 to 100", *seeds)
	}
	if err := g.Validate(); err != nil {
		return usagef("%v", err)
	}
	var rows []bench.CodecRow
	var what string
	start := time.Now()
	if *from != "" {
		f, err := os.Open(*from)
		if err != nil {
			return err
		}
		rows, err = bench.ReadCodecCSV(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *from, err)
		}
		what = fmt.Sprintf("fit from the %d sweep rows in %s (a sweep with the same grid flags and without -from regenerates them: the sweep is seeded)", len(rows), *from)
	} else {
		clips, err := bench.DefaultClips()
		if err != nil {
			return err
		}
		clips = clips[:min(max(*clipsN, 1), len(clips))]
		sweep := g.Sweep(clips, *seeds)
		sweep.Workers = *workers
		total := sweep.Runs()
		fmt.Fprintf(env.Stderr, "bench refit: %d settings × %d conditions × %d clips × up to %d seeds = %d runs\n",
			len(sweep.Configs), len(sweep.Conditions), len(clips), *seeds, total)
		if !*noProgress {
			bar := newProgressBar(env.Stderr, total, "runs")
			sweep.Progress = func(done, _ int) { bar.Set(done) }
			defer bar.Finish()
		}
		if rows, err = sweep.Run(ctx); err != nil {
			return err
		}
		if *rowsOut != "" {
			if err := writeFile(*rowsOut, func(f *os.File) error { return bench.WriteCodecCSV(f, rows) }); err != nil {
				return err
			}
		}
		what = fmt.Sprintf("%d runs in %s, %d settings, %d clip(s), %d seed(s) per lossy cell, decoder complexity %d", total,
			time.Since(start).Round(time.Second), len(sweep.Configs), len(clips), *seeds, *decoder)
	}
	t, err := bench.FitSettingTable(*version, rows, g.MeanBurst, *pool)
	if err != nil {
		return err
	}
	comments := []string{
		"Opus impairments (Ie, Bpl) per sender setting on the G.107.1 wideband scale, refit from PESQ-WB sweeps",
		"with real libopus. Loss is the network loss before recovery: FEC/RED recovery is folded into Bpl.",
		"BplBursty applies at BurstR >= 2 (linear from BplRandom at BurstR 1). Regenerate with:",
		"  " + strings.TrimSpace("parley bench refit "+strings.Join(args, " ")),
		fmt.Sprintf("generated %s: %s; Bpl fit per %s", time.Now().UTC().Format(time.RFC3339), what,
			map[bool]string{true: "curve (pooled over bitrates)", false: "setting"}[*pool]),
	}
	if err := writeFile(*out, func(f *os.File) error { return t.WriteCSV(f, comments) }); err != nil {
		return err
	}
	w := env.Stdout
	fmt.Fprintf(w, "%-22s %7s %7s %9s %9s %6s %6s\n", "setting", "PESQ-0", "Ie", "BplRand", "BplBurst", "rmseR", "rmseB")
	for _, e := range t.Entries() {
		fmt.Fprintf(w, "%-22s %7.2f %7.1f %9.1f %9.1f %6.1f %6.1f\n", settingName(e.SettingKey), e.PESQClean, e.Ie,
			e.BplRandom, e.BplBursty, e.RMSERandom, e.RMSEBursty)
	}
	fmt.Fprintf(env.Stderr, "bench refit: %s; wrote %s (version %s)\n", what, *out, t.Version())
	return nil
}

// settingName names a table key like bench's refit configs.
func settingName(k emodel.SettingKey) string {
	s := fmt.Sprintf("%dk-%dms", k.BitrateBps/1000, k.Frame.Milliseconds())
	if k.FEC {
		s += "-fec"
	}
	if k.REDDepth > 0 {
		s += fmt.Sprintf("-red%d", k.REDDepth)
	}
	if k.REDLowRateBps > 0 {
		s += fmt.Sprintf("-low%dk", k.REDLowRateBps/1000)
	}
	return s
}

func joinInts(xs []int, div int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x / div)
	}
	return strings.Join(s, ",")
}

func parseInts(flag, s string, mul int) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 0 || v > 1e6 {
			return nil, usagef("%s: %q is not a count in 0..1000000", flag, f)
		}
		out = append(out, v*mul)
	}
	return out, nil
}

func parseFloats(flag, s string) ([]float64, error) {
	var out []float64
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, usagef("%s: %q is not a number", flag, f)
		}
		out = append(out, v)
	}
	return out, nil
}
