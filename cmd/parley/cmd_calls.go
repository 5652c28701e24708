package main

import "context"

// The calling subcommands arrive with the signaling and engine issues. Until then each parses
// its help and says plainly that it is not built.

func cmdServe(_ context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "serve", "", "Run the signaling service with embedded TURN.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return notBuilt("serve")
}

func cmdID(_ context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "id", "", "Create or show your long-term identity key.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return notBuilt("id")
}

func cmdCall(_ context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "call", "USER", "Place an end-to-end encrypted call to USER.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return notBuilt("call")
}

func cmdListen(_ context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "listen", "", "Wait for incoming calls and answer them.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return notBuilt("listen")
}
