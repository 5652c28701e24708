package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
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
// and the flags, and returns errors instead of exiting. The usage goes to env.Stdout when asked
// for (-h) and to env.Stderr after a mistake.
func newFlagSet(env *cmdEnv, name, argsSyntax, description string) *flag.FlagSet {
	fs := flag.NewFlagSet("parley "+name, flag.ContinueOnError)
	fs.SetOutput(&usageOutput{env: env})
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

// usageOutput is a flag set's output: held while Parse runs, then sent to standard output
// (help asked for) or standard error (a mistake); written straight to standard error outside
// Parse.
type usageOutput struct {
	env  *cmdEnv
	held *bytes.Buffer
}

func (u *usageOutput) Write(p []byte) (int, error) {
	if u.held != nil {
		return u.held.Write(p)
	}
	return u.env.Stderr.Write(p)
}

// parseFlags parses args; a bad flag becomes a usageError (exit 2), -h becomes errHelp (exit 0)
// after the usage was printed on standard output.
func parseFlags(fs *flag.FlagSet, args []string) error {
	u, _ := fs.Output().(*usageOutput)
	if u != nil {
		u.held = &bytes.Buffer{}
	}
	err := fs.Parse(args)
	if u != nil {
		held := u.held
		u.held = nil
		// After a mistake flag printed the error and the whole usage: main prints the error
		// (naming the flag as -h does) and the usage would bury it.
		if errors.Is(err, flag.ErrHelp) {
			_, _ = held.WriteTo(u.env.Stdout)
		}
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return &usageError{msg: flagError(err)}
	}
	return nil
}

// flagError rewrites the flag package's messages to name flags as -h does:
// `invalid value "25ms" for flag -frame: ...` becomes `-frame 25ms: ...`.
func flagError(err error) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		val, rest, ok1 := strings.Cut(rest, " for flag ")
		name, why, ok2 := strings.Cut(rest, ": ")
		if ok1 && ok2 {
			if v, uerr := strconv.Unquote(val); uerr == nil {
				val = v
			}
			if strings.Contains(val, " ") || val == "" {
				val = strconv.Quote(val)
			}
			return name + " " + val + ": " + why
		}
	}
	return msg
}
