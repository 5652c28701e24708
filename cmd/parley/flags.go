package main

import (
	"errors"
	"flag"
	"fmt"
)

// errHelp is returned when the user asked for help (-h): exit 0 after the usage was printed.
var errHelp = flag.ErrHelp

// errNotBuilt marks a subcommand whose implementation has not landed yet. It never pretends to
// work: it says so and exits 1.
var errNotBuilt = errors.New("not yet built")

// usageError is a mistake in how the command was invoked; it exits with code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...)}
}

// notBuilt reports that a subcommand exists in the design but is not implemented yet.
func notBuilt(what string) error {
	return fmt.Errorf("%s: %w in this version of Parley", what, errNotBuilt)
}

// newFlagSet makes a flag set that prints "Usage: parley <name> <argsSyntax>", the description
// and the flags to env.Stderr, and returns errors instead of exiting.
func newFlagSet(env *cmdEnv, name, argsSyntax, description string) *flag.FlagSet {
	fs := flag.NewFlagSet("parley "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: parley %s [flags] %s\n\n%s\n", name, argsSyntax, description)
		var n int
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintf(out, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args; a bad flag becomes a usageError (exit 2), -h becomes errHelp (exit 0).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return &usageError{msg: err.Error()}
	}
	return nil
}
