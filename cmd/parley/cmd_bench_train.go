package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/bench"
)

func cmdBenchTrain(_ context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "bench train", "", `Train the network predictor from seeded synthetic traces.

Generates --traces random links with netem's generators (loss, jitter, impulses, gaps, outages,
RFC 8867-style capacity steps) carrying a voice-like sender, samples adapt's features every 250 ms
with the next second's loss, burst and delay quantiles and the next two seconds' capacity as
targets, trains the MLP deterministically (same flags, bit-identical weights) and reports its
error on the held-back traces. With --out it writes the model (embed it as adapt/model.bin).

With --value it trains the decision's value model instead: counterfactual rollouts over --traces
random links of --duration (the behaviour policy runs in virtual time; every 2 s the link is
rebuilt from its seed, replayed to that point, and every candidate setting runs for the next 2 s
and is scored with adapt's one QoE), then a ridge regression of each candidate's QoE, relative to
the decision's other candidates, less the quality model's forecast (bit-identical for the same
flags). With --out it writes the model (embed it as adapt/value.bin).`)
	traces := fs.Int("traces", 300, "synthetic traces")
	dur := fs.Duration("duration", time.Minute, "length of each trace")
	seed := fs.Uint64("seed", 1, "seed of the traces, the initial weights and the shuffling")
	epochs := fs.Int("epochs", 40, "training epochs")
	hidden := fs.Int("hidden", 32, "width of each of the two hidden layers")
	holdOut := fs.Float64("holdout", 0.2, "fraction of traces held back for evaluation")
	out := fs.String("out", "", "write the model to this file (e.g. adapt/model.bin)")
	value := fs.Bool("value", false, "train the decision's value model from counterfactual rollouts (adapt/value.bin)")
	ridge := fs.Float64("ridge", adapt.DefaultValueRidge, "--value: ridge penalty")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *value {
		return trainValue(env, *traces, *dur, *seed, *ridge, *out)
	}
	start := time.Now()
	samples, err := bench.AdaptTrainingSamples(bench.TrainDataConfig{Traces: *traces, Duration: *dur, Seed: *seed})
	if err != nil {
		return err
	}
	gen := time.Since(start)
	m, ev, err := adapt.Train(samples, adapt.TrainConfig{Hidden1: *hidden, Hidden2: *hidden, Epochs: *epochs,
		Seed: *seed, HoldOut: *holdOut})
	if err != nil {
		return err
	}
	blob, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	w := env.Stdout
	fmt.Fprintf(w, "samples %d from %d traces × %v (generated in %v), trained in %v\n", len(samples), *traces, *dur,
		gen.Round(time.Millisecond), (time.Since(start) - gen).Round(time.Millisecond))
	fmt.Fprintf(w, "model %d-%d-%d-%d, %d parameters, %d bytes, sha256 %x\n", adapt.NumInputs, *hidden, *hidden,
		adapt.NumOutputs, m.NumParams(), len(blob), sha256.Sum256(blob))
	fmt.Fprintf(w, "standardised MSE: train %.4f, held-back %.4f\n", ev.TrainLoss, ev.HeldOutLoss)
	fmt.Fprintf(w, "held-back slice: %d samples; mean absolute error\n", ev.Samples)
	fmt.Fprintf(w, "  %-28s %10s %10s %12s\n", "target", "model", "mean", "persistence")
	names := [adapt.NumOutputs]struct {
		name  string
		scale float64
	}{{"rate log2(kb/s)", 1}, {"loss next 1 s (%)", 100}, {"mean burst (packets)", 1},
		{"delay p50 above base (ms)", 100}, {"delay p95 above base (ms)", 100}, {"delay p99 above base (ms)", 100}}
	for k, n := range names {
		fmt.Fprintf(w, "  %-28s %10.3f %10.3f %12.3f\n", n.name, ev.ModelMAE[k]*n.scale, ev.MeanMAE[k]*n.scale, ev.PersistMAE[k]*n.scale)
	}
	if *out != "" {
		if err := os.WriteFile(*out, blob, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %s\n", *out)
	}
	return nil
}

// trainValue is `parley bench train --value`.
func trainValue(env *cmdEnv, links int, dur time.Duration, seed uint64, ridge float64, out string) error {
	if links < 1 || dur < 10*time.Second || !(ridge > 0) {
		return usagef("--value wants --traces ≥ 1, --duration ≥ 10s and --ridge > 0 (got %d, %v, %v)", links, dur, ridge)
	}
	start := time.Now()
	samples, err := bench.ValueSamples(bench.RolloutConfig{Links: links, Duration: dur, Seed: seed})
	if err != nil {
		return err
	}
	gen := time.Since(start)
	m, before, after, err := adapt.TrainValue(samples, ridge)
	if err != nil {
		return err
	}
	blob, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	w := env.Stdout
	fmt.Fprintf(w, "value samples %d from %d links × %v (rollouts in %v), fitted in %v\n", len(samples), links, dur,
		gen.Round(time.Millisecond), (time.Since(start) - gen).Round(time.Millisecond))
	fmt.Fprintf(w, "value model %d×%d bilinear, %d bytes, sha256 %x\n", adapt.NumContext, adapt.NumCandidate, len(blob), sha256.Sum256(blob))
	fmt.Fprintf(w, "residual of the quality model's forecast (R, relative to the decision's candidates): rms %.2f before, %.2f after\n", before, after)
	// Links the model never saw: a quarter as many, from another seed.
	held, err := bench.ValueSamples(bench.RolloutConfig{Links: max(links/4, 1), Duration: dur, Seed: seed + 1<<20})
	if err != nil {
		return err
	}
	hb, ha := adapt.EvaluateValue(m, held)
	fmt.Fprintf(w, "held-back links (%d samples, seed %d): rms %.2f before, %.2f after\n", len(held), seed+1<<20, hb, ha)
	if out != "" {
		if err := os.WriteFile(out, blob, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %s\n", out)
	}
	return nil
}
