package main

import (
	"context"
	"fmt"
)

type benchCommand struct {
	name    string
	summary string
	run     runFunc
}

var benchCommands []benchCommand

func init() {
	benchCommands = []benchCommand{
		{"codec", "Opus under simulated loss: PESQ per bitrate, frame, FEC, RED", cmdBenchCodec},
		{"pesq", "score a degraded WAV against a reference (ITU-T P.862)", cmdBenchPESQ},
		{"adapt", "adaptation policy against fixed baselines on the same traces", cmdBenchAdapt},
		{"signaling", "signaling server load: logins and call setups per second", cmdBenchSignaling},
		{"train", "train the network predictor from synthetic traces", cmdBenchTrain},
		{"refit", "refit the E-model's Opus Ie/Bpl per setting from a PESQ-WB sweep", cmdBenchRefit},
		{"apm", "echo cancellation, noise suppression: ERLE, double-talk and NS PESQ-WB, CPU", cmdBenchAPM},
	}
}

func benchUsage(env *cmdEnv) {
	fmt.Fprintf(env.Stderr, "Usage: parley bench <benchmark> [flags] [args]\n\nBenchmarks:\n")
	for _, b := range benchCommands {
		fmt.Fprintf(env.Stderr, "  %-10s %s\n", b.name, b.summary)
	}
	fmt.Fprintf(env.Stderr, "\nRun 'parley bench <benchmark> -h' for its flags.\n")
}

func cmdBench(ctx context.Context, env *cmdEnv, args []string) error {
	if len(args) == 0 {
		benchUsage(env)
		return usagef("bench: name a benchmark")
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		benchUsage(env)
		return errHelp
	}
	for _, b := range benchCommands {
		if b.name == args[0] {
			return b.run(ctx, env, args[1:])
		}
	}
	benchUsage(env)
	return usagef("bench: unknown benchmark %q", args[0])
}
