// Configuration of parley call and parley listen: defaults from the environment, flag checks
// made before the server is contacted, recording file names, identities and logging.

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/parley-voice/parley/e2ee"
)

// Environment variables that set the defaults of -server, -as and -dir.
const (
	envServer = "PARLEY_SERVER"
	envUser   = "PARLEY_USER"
	envDir    = "PARLEY_DIR"
)

// defaultServer is -server's default without PARLEY_SERVER.
const defaultServer = "ws://127.0.0.1:7000/v1/ws"

// envHelp is appended to the help of the commands that read the environment.
const envHelp = `
Environment (the flags win):
  PARLEY_SERVER  default of -server
  PARLEY_USER    default of -as
  PARLEY_DIR     default of -dir`

// envOr returns the environment variable name, or def when it is unset or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// configDir is the identity directory: -dir, else $PARLEY_DIR, else $XDG_CONFIG_HOME/parley
// (~/.config/parley). It returns "" when there is none.
func configDir(dir string) string {
	if dir != "" {
		return dir
	}
	if d := os.Getenv(envDir); d != "" {
		return d
	}
	if base, err := os.UserConfigDir(); err == nil {
		return filepath.Join(base, "parley")
	}
	return ""
}

// validFrames are the Opus frame durations -frame accepts.
var validFrames = []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond, 60 * time.Millisecond}

// frameFlag parses -frame: a duration with its unit, one of validFrames.
func frameFlag(d *time.Duration) func(string) error {
	return func(v string) error {
		x, err := time.ParseDuration(v)
		if err != nil {
			if _, nerr := strconv.Atoi(v); nerr == nil {
				return fmt.Errorf("give the unit (e.g. -frame %sms)", v)
			}
			return errors.New("not a duration (e.g. -frame 20ms)")
		}
		for _, f := range validFrames {
			if x == f {
				*d = x
				return nil
			}
		}
		return errors.New("Opus frames are 10ms, 20ms, 40ms or 60ms (e.g. -frame 20ms)")
	}
}

// checkCallFlags checks what can be checked before the server is contacted; every message
// names the one flag that is wrong.
func checkCallFlags(f *callFlags) error {
	if f.relay && f.direct {
		return usagef("-relay and -direct exclude each other")
	}
	if f.kbps < 6 || f.kbps > 510 {
		return usagef("-kbps %d: Opus takes 6 to 510 kb/s (e.g. -kbps 32)", f.kbps)
	}
	if f.red < 0 || f.red > 3 {
		return usagef("-red %d: the RED depth is 0 to 3 earlier frames (e.g. -red 1)", f.red)
	}
	switch f.stats {
	case "text", "json", "off":
	default:
		return usagef("-stats %q: say text, json or off", f.stats)
	}
	if f.out == "-" && f.stats == "json" {
		return usagef("-out - and -stats json both want standard output: record to a file, or use -stats text")
	}
	if f.in != "" && f.in != "-" {
		if fi, err := os.Stat(f.in); err != nil {
			return fmt.Errorf("cannot open -in %s: %w", f.in, unwrapPath(err))
		} else if fi.IsDir() {
			return fmt.Errorf("cannot open -in %s: it is a directory", f.in)
		}
	}
	if f.out != "" && f.out != "-" {
		dir := filepath.Dir(f.out)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return fmt.Errorf("cannot record to -out %s: no directory %s", f.out, dir)
		}
		if n := strings.Count(f.out, "%"); n > 1 || n != strings.Count(f.out, "%d") {
			return usagef("-out %s: the only %% pattern is one %%d (the call's number, e.g. -out bob-%%d.wav)", f.out)
		}
	}
	return nil
}

// unwrapPath drops the path from an *fs.PathError (the message names the file already).
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// recordingPath is the file the n-th call (from 1) records to: pattern with its %d replaced by
// n, or, without %d, pattern itself for the first call and NAME-n.EXT for the later ones.
func recordingPath(pattern string, n int) string {
	if strings.Contains(pattern, "%d") {
		return strings.Replace(pattern, "%d", strconv.Itoa(n), 1)
	}
	if n == 1 {
		return pattern
	}
	ext := filepath.Ext(pattern)
	return strings.TrimSuffix(pattern, ext) + "-" + strconv.Itoa(n) + ext
}

// loadCallIdentity reads the identity of configDir(dir), or makes a one-time key (and returns
// no directory: a one-time key has no contacts to remember).
func loadCallIdentity(env *cmdEnv, dir string) (*e2ee.IdentityKey, string, error) {
	dir = configDir(dir)
	k, err := e2ee.LoadIdentity(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(env.Stderr, "note: no identity in %s (run 'parley id new'); using a one-time key\n", dir)
		k, err := e2ee.GenerateIdentityKey(nil)
		return k, "", err
	case err != nil:
		return nil, "", err
	}
	return k, dir, nil
}

// newCallLogger is the logger of call and listen: warnings of Parley's own (not pion's, which
// warns about routine events) by default, everything with -v.
func newCallLogger(env *cmdEnv, verbose bool) *slog.Logger {
	if verbose {
		return slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(&quietPion{Handler: slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})})
}

// quietPion drops the records of loggers carrying a "pion" attribute (the engine's route for
// pion's own logs) below slog.LevelError.
type quietPion struct {
	slog.Handler
	pion bool
}

func (q *quietPion) Enabled(ctx context.Context, l slog.Level) bool {
	if q.pion && l < slog.LevelError {
		return false
	}
	return q.Handler.Enabled(ctx, l)
}

func (q *quietPion) WithAttrs(as []slog.Attr) slog.Handler {
	pion := q.pion
	for _, a := range as {
		pion = pion || a.Key == "pion"
	}
	return &quietPion{Handler: q.Handler.WithAttrs(as), pion: pion}
}

func (q *quietPion) WithGroup(name string) slog.Handler {
	return &quietPion{Handler: q.Handler.WithGroup(name), pion: q.pion}
}
