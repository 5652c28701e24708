package main

import "context"

func cmdBenchPESQ(_ context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "bench pesq", "REF.wav DEG.wav", "Score DEG.wav against REF.wav with PESQ (ITU-T P.862, P.862.1, P.862.2).")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return notBuilt("bench pesq")
}
