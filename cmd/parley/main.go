// Command parley is the Parley CLI: it places and receives end-to-end encrypted voice calls, runs
// the signaling service, and benchmarks codecs, adaptation and speech quality.
//
// Every subcommand lives in its own file (cmd_*.go) as a function with the runFunc signature; the
// table below is the single place that lists them. Usage errors exit with code 2, runtime errors
// with code 1.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// runFunc runs one subcommand with its arguments (the subcommand name removed).
type runFunc func(ctx context.Context, env *cmdEnv, args []string) error

// cmdEnv is what a subcommand may touch of the outside world; tests substitute buffers.
type cmdEnv struct {
	Stdin  io.Reader // nil: os.Stdin
	Stdout io.Writer
	Stderr io.Writer
}

// stdin returns the command's standard input.
func (e *cmdEnv) stdin() io.Reader {
	if e.Stdin == nil {
		return os.Stdin
	}
	return e.Stdin
}

type command struct {
	name    string
	summary string
	run     runFunc
}

// commands is filled in init to break the initialisation cycle through cmdHelp.
var commands []command

func init() {
	commands = []command{
		{"serve", "run the signaling service (with embedded TURN)", cmdServe},
		{"id", "create or show your identity key", cmdID},
		{"call", "call a user", cmdCall},
		{"listen", "wait for and answer calls", cmdListen},
		{"contacts", "list, verify or forget your contacts' identity keys", cmdContacts},
		{"demo", "run a complete encrypted call between two local users", cmdDemo},
		{"bench", "benchmark codecs, adaptation, signaling and speech quality", cmdBench},
		{"netem", "run a userspace link emulator as a loopback UDP proxy", cmdNetem},
		{"version", "print the version", cmdVersion},
		{"help", "show help for a command", cmdHelp},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &cmdEnv{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run dispatches args to a subcommand and maps its error to an exit code.
func run(ctx context.Context, env *cmdEnv, args []string) int {
	if len(args) == 0 {
		usage(env.Stderr)
		return 2
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "-help" {
		usage(env.Stdout)
		return 0
	}
	if name == "--version" || name == "-version" {
		name, args = "version", append([]string{"version"}, args[1:]...)
	}
	for _, c := range commands {
		if c.name == name {
			return exitCode(env, c.run(ctx, env, args[1:]))
		}
	}
	fmt.Fprintf(env.Stderr, "parley: unknown command %q\n\n", name)
	usage(env.Stderr)
	return 2
}

func exitCode(env *cmdEnv, err error) int {
	var ue *usageError
	var oe *outcomeError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &oe):
		return oe.code // the command printed the message
	case errors.Is(err, context.Canceled):
		// Ctrl-C (or SIGTERM) stopped a command that had no result to keep.
		fmt.Fprintf(env.Stderr, "parley: interrupted\n")
		return exitInterrupted
	case errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "parley: %v\n", err)
		return 2
	case errors.Is(err, errNotBuilt):
		fmt.Fprintf(env.Stderr, "parley: %v\n", err)
		return 1
	default:
		fmt.Fprintf(env.Stderr, "parley: %v\n", err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Parley: end-to-end encrypted voice calls.\n\nUsage: parley <command> [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'parley help <command>' or 'parley <command> -h' for a command's flags.\n")
}

func cmdHelp(ctx context.Context, env *cmdEnv, args []string) error {
	if len(args) == 0 {
		usage(env.Stdout)
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] && c.name != "help" {
			// 'help bench pesq' is 'bench pesq -h'.
			return c.run(ctx, env, append(append([]string(nil), args[1:]...), "-h"))
		}
	}
	return usagef("help: unknown command %q", args[0])
}
