package main

import (
	"context"
	"fmt"
	"io"

	"github.com/parley-voice/parley/bench"
	"github.com/parley-voice/parley/bench/pesq"
	"github.com/parley-voice/parley/codec"
)

func cmdBenchPESQ(_ context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "bench pesq", "REF.wav DEG.wav", `Score DEG.wav against REF.wav with PESQ (ITU-T P.862, P.862.1, P.862.2).

By default prints wideband PESQ (P.862.2 MOS-LQO) and narrowband PESQ (P.862.1 MOS-LQO and the
raw P.862 score). Inputs must be mono or are mixed down; rates other than 8 or 16 kHz, or two
different rates, are resampled (to 16 kHz when both files have at least 16 kHz, else 8 kHz), and
a note says so on stderr. Wideband needs 16 kHz.`)
	nb := fs.Bool("nb", false, "narrowband only (P.862 raw and P.862.1 MOS-LQO)")
	wb := fs.Bool("wb", false, "wideband only (P.862.2 MOS-LQO)")
	variant := fs.String("variant", "cor2", "wideband input filter: cor2 (P.862 Corrigendum 2, 2018) or 2005")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("bench pesq needs REF.wav and DEG.wav, got %d argument(s)", fs.NArg())
	}
	if *nb && *wb {
		return usagef("--nb and --wb exclude each other (give neither for both)")
	}
	var v pesq.Variant
	switch *variant {
	case "cor2":
		v = pesq.Corrigendum2
	case "2005":
		v = pesq.P862_2005
	default:
		return usagef("--variant must be cor2 or 2005, got %q", *variant)
	}
	refPath, degPath := fs.Arg(0), fs.Arg(1)
	ref, deg, rate, err := readPESQPair(refPath, degPath, env.Stderr)
	if err != nil {
		return err
	}

	if sim := speechSimilarity(ref, deg, rate); sim < lowSimilarity {
		fmt.Fprintf(env.Stderr, "warning: %s and %s do not look like the same speech (loudness-envelope correlation %.2f, below %.2f):\n"+
			"  PESQ scores a degraded copy against its own reference, so this score says little\n", refPath, degPath, sim, lowSimilarity)
	}
	doWB, doNB := !*nb, !*wb
	if doWB && rate != 16000 {
		if *wb {
			return fmt.Errorf("bench pesq: %w (the inputs give %d Hz)", pesq.ErrWidebandRate, rate)
		}
		fmt.Fprintf(env.Stderr, "note: wideband PESQ needs 16 kHz input; scoring narrowband only\n")
		doWB = false
	}
	fmt.Fprintf(env.Stdout, "%s vs %s at %d Hz\n", refPath, degPath, rate)
	if doWB {
		r, err := pesq.Score(ref, deg, rate, pesq.Options{Mode: pesq.Wideband, Variant: v})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "PESQ-WB  P.862.2 MOS-LQO %.3f   (variant %s)\n", r.MOSLQO, v)
	}
	if doNB {
		r, err := pesq.Score(ref, deg, rate, pesq.Options{Mode: pesq.Narrowband, Variant: v})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "PESQ-NB  P.862.1 MOS-LQO %.3f   P.862 raw %.3f\n", r.MOSLQO, r.Raw)
	}
	return nil
}

// readPESQPair reads two WAV files and brings them to one PESQ rate: 16 kHz when both have at
// least 16 kHz, else 8 kHz, resampling (with a note to notes) where a file's rate differs.
// `parley bench pesq` and every demo score go through it, so a score the demo prints is the
// one `parley bench pesq` prints for the same files.
func readPESQPair(refPath, degPath string, notes io.Writer) (ref, deg []float32, rate int, err error) {
	r, err := codec.ReadWAVFile(refPath)
	if err != nil {
		return nil, nil, 0, err
	}
	d, err := codec.ReadWAVFile(degPath)
	if err != nil {
		return nil, nil, 0, err
	}
	rate = 8000
	if min(r.SampleRateHz, d.SampleRateHz) >= 16000 {
		rate = 16000
	}
	for _, a := range []struct {
		path string
		au   *codec.Audio
	}{{refPath, &r}, {degPath, &d}} {
		if a.au.SampleRateHz == rate {
			continue
		}
		s, err := codec.Resample(a.au.Samples, a.au.SampleRateHz, rate)
		if err != nil {
			return nil, nil, 0, err
		}
		if notes != nil {
			fmt.Fprintf(notes, "note: resampled %s from %d Hz to %d Hz\n", a.path, a.au.SampleRateHz, rate)
		}
		a.au.Samples, a.au.SampleRateHz = s, rate
	}
	return r.Samples, d.Samples, rate, nil
}

// scoreWAVFiles returns PESQ-WB (P.862.2, Corrigendum 2) and PESQ-NB (P.862.1) of degPath
// against refPath: the figures `parley bench pesq REF DEG` prints for the same files.
func scoreWAVFiles(refPath, degPath string) (bench.Quality, error) {
	ref, deg, rate, err := readPESQPair(refPath, degPath, nil)
	if err != nil {
		return bench.Quality{}, err
	}
	if rate != 16000 {
		return bench.Quality{}, fmt.Errorf("PESQ-WB of %s: %w (the files give %d Hz)", degPath, pesq.ErrWidebandRate, rate)
	}
	wb, err := pesq.Score(ref, deg, rate, pesq.Options{Mode: pesq.Wideband})
	if err != nil {
		return bench.Quality{}, fmt.Errorf("PESQ-WB of %s against %s: %w", degPath, refPath, err)
	}
	nb, err := pesq.Score(ref, deg, rate, pesq.Options{Mode: pesq.Narrowband})
	if err != nil {
		return bench.Quality{}, fmt.Errorf("PESQ-NB of %s against %s: %w", degPath, refPath, err)
	}
	return bench.Quality{WB: wb.MOSLQO, NB: nb.MOSLQO, NBRaw: nb.Raw}, nil
}
