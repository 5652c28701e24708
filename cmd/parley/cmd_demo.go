package main

import "context"

func cmdDemo(_ context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "demo", "", "Run a complete call between two local users.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return notBuilt("demo")
}
