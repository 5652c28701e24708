package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/parley-voice/parley/internal/netem"
)

// netemDescription is the help text, with every profile and its parameters.
func netemDescription() string {
	var b strings.Builder
	b.WriteString(`Run a userspace link emulator as a UDP proxy: datagrams sent to --listen are forwarded to --to
through an impaired uplink, replies come back through an impaired downlink. Put it between an
external program (a TURN server, a browser) and its peer. A line of stats per second goes to
stderr; Ctrl-C stops it.

Profiles (one direction; --profile applies to both unless --up-profile/--down-profile say otherwise):
`)
	for _, name := range netem.ProfileNames() {
		cfg, _ := netem.Profile(name)
		fmt.Fprintf(&b, "  %-15s %s\n", name, cfg.Summary())
	}
	b.WriteString(`
Traces (--trace, both directions unless --down-trace is given) replace the profile's capacity:
  mahimahi    one line per 1500-byte delivery opportunity, ms since start; loops
  opennetlab  JSON uplink.trace_pattern [{duration ms, capacity kbit/s, loss, rtt ms, jitter ms}]
  norway      "<time s> <Mbit/s>" per line`)
	return b.String()
}

func cmdNetem(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "netem", "", netemDescription())
	listen := fs.String("listen", "", "UDP `address` to listen on, e.g. 127.0.0.1:3479 (required)")
	to := fs.String("to", "", "UDP `address` to forward to, e.g. 127.0.0.1:3478 (required)")
	profile := fs.String("profile", "clean", "link `profile` for both directions")
	upProfile := fs.String("up-profile", "", "profile for the uplink (listen → to); default --profile")
	downProfile := fs.String("down-profile", "", "profile for the downlink (to → listen); default --profile")
	seed := fs.Uint64("seed", 1, "random seed (same seed, same impairments for the same traffic)")
	trace := fs.String("trace", "", "capacity trace `file` for both directions")
	downTrace := fs.String("down-trace", "", "capacity trace `file` for the downlink (overrides --trace there)")
	traceFormat := fs.String("trace-format", "mahimahi", "trace `format`: mahimahi, opennetlab or norway")
	downTraceFormat := fs.String("down-trace-format", "", "`format` of --down-trace; default --trace-format")
	queue := fs.Duration("queue", 0, "droptail queue limit in time for trace capacity (default: the profile's, else 300ms)")
	loss := fs.Float64("loss", -1, "override: random loss `fraction` 0..1 in each direction (-1: the profile's)")
	burst := fs.Float64("burst", 0, "with --loss: mean burst length in packets (Gilbert–Elliott); 0 = independent losses")
	lossPattern := fs.String("loss-pattern", "", "override: replay this loss pattern `file` (0 = delivered, 1 = lost, per packet) in each direction")
	delay := fs.Duration("delay", -1, "override: base one-way delay in each direction (negative: the profile's)")
	every := fs.Duration("stats-every", time.Second, "period of the stats lines")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("netem takes no arguments, got %q", fs.Args())
	}
	if *listen == "" || *to == "" {
		return usagef("netem needs --listen and --to (see parley netem -h)")
	}
	if *every <= 0 {
		return usagef("--stats-every must be > 0")
	}
	dir := func(label, name, profileName, tracePath, format string) (netem.LinkConfig, error) {
		if profileName == "" {
			name, profileName = "profile", *profile
		}
		cfg, err := netem.Profile(profileName)
		if err != nil {
			return cfg, usagef("--%s: %v", name, err)
		}
		if tracePath != "" {
			tr, err := netem.LoadTrace(tracePath, netem.TraceFormat(format))
			if err != nil {
				return cfg, err
			}
			q := cfg.Capacity.QueueDelay
			if *queue > 0 {
				q = *queue
			} else if q == 0 {
				q = 300 * time.Millisecond
			}
			cfg.Capacity = netem.CapacityConfig{Trace: tr, QueueDelay: q}
		}
		if *loss >= 0 {
			cfg.Loss = netem.LossConfig{Model: netem.LossBernoulli, Rate: *loss}
			if *burst > 0 {
				cfg.Loss = netem.LossConfig{Model: netem.LossGilbertElliott, Rate: *loss, MeanBurst: *burst}
			}
		}
		if *lossPattern != "" {
			f, err := os.Open(*lossPattern)
			if err != nil {
				return cfg, fmt.Errorf("--loss-pattern: %w", err)
			}
			pat, err := netem.ParseLossPattern(f)
			f.Close()
			if err != nil {
				return cfg, err
			}
			cfg.Loss = netem.LossConfig{Model: netem.LossReplay, Pattern: pat}
		}
		if *delay >= 0 {
			cfg.Delay.Base = *delay
		}
		if err := cfg.Validate(); err != nil {
			return cfg, usagef("%s: %v", label, err)
		}
		return cfg, nil
	}
	if *downTraceFormat == "" {
		*downTraceFormat = *traceFormat
	}
	for _, f := range []string{*traceFormat, *downTraceFormat} {
		switch f {
		case "mahimahi", "opennetlab", "norway":
		default:
			return usagef("trace format %q: want mahimahi, opennetlab or norway", f)
		}
	}
	up, err := dir("uplink", "up-profile", *upProfile, *trace, *traceFormat)
	if err != nil {
		return err
	}
	dt, df := *trace, *traceFormat
	if *downTrace != "" {
		dt, df = *downTrace, *downTraceFormat
	}
	down, err := dir("downlink", "down-profile", *downProfile, dt, df)
	if err != nil {
		return err
	}
	p, err := netem.NewProxy(netem.ProxyConfig{
		Listen: *listen, To: *to, Up: up, Down: down, Seed: *seed,
		StatsOut: env.Stderr, StatsEvery: *every,
	})
	if err != nil {
		if errors.Is(err, netem.ErrInvalidConfig) {
			return usagef("%v", err)
		}
		return err
	}
	fmt.Fprintf(env.Stderr, "netem: %s → %s\n  up:   %s\n  down: %s\n", p.Addr(), *to, up.Summary(), down.Summary())
	return p.Run(ctx)
}
