package main

import (
	"context"
	"fmt"

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
	ref, err := codec.ReadWAVFile(refPath)
	if err != nil {
		return err
	}
	deg, err := codec.ReadWAVFile(degPath)
	if err != nil {
		return err
	}

	rate := 8000
	if min(ref.SampleRateHz, deg.SampleRateHz) >= 16000 {
		rate = 16000
	}
	for _, a := range []struct {
		path string
		au   *codec.Audio
	}{{refPath, &ref}, {degPath, &deg}} {
		if a.au.SampleRateHz == rate {
			continue
		}
		s, err := codec.Resample(a.au.Samples, a.au.SampleRateHz, rate)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "note: resampled %s from %d Hz to %d Hz\n", a.path, a.au.SampleRateHz, rate)
		a.au.Samples, a.au.SampleRateHz = s, rate
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
		r, err := pesq.Score(ref.Samples, deg.Samples, rate, pesq.Options{Mode: pesq.Wideband, Variant: v})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "PESQ-WB  P.862.2 MOS-LQO %.3f   (variant %s)\n", r.MOSLQO, v)
	}
	if doNB {
		r, err := pesq.Score(ref.Samples, deg.Samples, rate, pesq.Options{Mode: pesq.Narrowband, Variant: v})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "PESQ-NB  P.862.1 MOS-LQO %.3f   P.862 raw %.3f\n", r.MOSLQO, r.Raw)
	}
	return nil
}
