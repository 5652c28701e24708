package main

import "context"

func cmdBenchCodec(_ context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "bench codec", "", "Sweep Opus settings under simulated loss and score them with PESQ.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return notBuilt("bench codec")
}
