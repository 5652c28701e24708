package main

import "context"

func cmdNetem(_ context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "netem", "", "Run a userspace link emulator as a loopback UDP proxy.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return notBuilt("netem")
}
