package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/parley-voice/parley/bench/echo"
	"github.com/parley-voice/parley/internal/echolab"
)

func cmdBenchAPM(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "bench apm", "", `Measure echo cancellation, noise suppression and gain control (engine/audio/apm over
webrtc-audio-processing 0.3 and speexdsp) without a sound card.

Echo scenarios (internal/echolab): a far-end talker (two clips: codec2's wideband sentence,
and two 8 kHz male speakers) plays through three echo paths (20/60/120 ms delay with a
synthetic room response of RT60 100/200/300 ms) into a microphone that also hears a near-end
talker (a female speaker, never the far one) in double-talk and near-only segments and white
noise 40 dB below speech; the processor gets the far end as its reverse stream. Reported: ERLE
(median over 100 ms far-only windows after 2 s), PESQ-WB of the near end in double talk and
alone against the clean near end, CPU per 10 ms frame; robustness to a ±10 % echo-delay change
mid-run and ±100 ppm clock drift; noise suppression's PESQ-WB on speech in white and babble
noise and on clean speech. Prints a table and writes apm-erle.png (ERLE over time, double
talk shaded). Deterministic for a given -seed.`)
	out := fs.String("out", "parley-bench", "directory for apm-erle.png")
	sers := fs.String("ser", "0,10", "near-end-to-echo level ratios of the echo scenarios, dB")
	snrs := fs.String("snr", "0,5,10", "speech-to-noise ratios of the noise scenarios, dB")
	seed := fs.Uint64("seed", 1, "seed of the room responses and the noise")
	workers := fs.Int("workers", 0, "parallel runs (0: one per core)")
	noProgress := fs.Bool("no-progress", false, "do not draw the progress bar")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("bench apm takes no arguments, got %q", fs.Args())
	}
	serList, err := parseFloats("-ser", *sers)
	if err != nil {
		return err
	}
	snrList, err := parseFloats("-snr", *snrs)
	if err != nil {
		return err
	}
	if len(serList) == 0 || len(snrList) == 0 {
		return usagef("-ser and -snr need at least one value")
	}
	tk, err := echolab.LoadTalkers("")
	if err != nil {
		return err
	}
	o := echo.Options{Talkers: tk, SERsDB: serList, SNRsDB: snrList, Seed: *seed, Workers: *workers}
	if !*noProgress {
		bar := newProgressBar(env.Stderr, echo.Runs(o), "bench apm")
		var mu sync.Mutex
		o.Progress = func() { mu.Lock(); bar.Add(1); mu.Unlock() }
	}
	start := time.Now()
	rep, err := echo.Run(ctx, o)
	if err != nil {
		return err
	}
	if err := rep.WriteTable(env.Stdout); err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	png := filepath.Join(*out, "apm-erle.png")
	if err := rep.Plot(png); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "\nwrote %s in %s\nreproduce: parley bench apm -ser %s -snr %s -seed %d -out %s\n", png, time.Since(start).Round(time.Second),
		strings.Join(strings.Fields(strings.ReplaceAll(*sers, ",", " ")), ","), strings.Join(strings.Fields(strings.ReplaceAll(*snrs, ",", " ")), ","), *seed, *out)
	return nil
}
