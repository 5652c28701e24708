package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parley-voice/parley/bench"
	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/internal/netem"
)

// cmdDemo runs the live demo (cmd_demo_live.go), or with -offline the virtual-time pipeline
// comparison below. -live is accepted too.
func cmdDemo(ctx context.Context, env *cmdEnv, args []string) error {
	offline := !demoLiveDefault
	rest := make([]string, 0, len(args))
	for _, a := range args {
		switch a {
		case "-offline", "--offline":
			offline = true
		case "-live", "--live":
			offline = false
		default:
			rest = append(rest, a)
		}
	}
	if offline {
		return cmdDemoOffline(ctx, env, rest)
	}
	return cmdDemoLive(ctx, env, rest)
}

// demoLiveDefault selects what 'parley demo' without -offline or -live runs.
const demoLiveDefault = true

// cmdDemoOffline is the virtual-time half of the demo on its own: real speech through real
// libopus, the DTX packetizer, RED and in-band FEC, across the emulated network and a jitter
// buffer, in virtual time, scored by PESQ. It predates the live demo (cmd_demo_live.go), which
// ends with a similar comparison of its own.
func cmdDemoOffline(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "demo -offline", "", `Send real speech across an emulated bad network and hear what the receiver plays.

Alice's speech (Debian codec2-examples) is encoded with libopus, packetized (DTX, RED, FEC),
sent through the userspace link emulator and played out by a jitter buffer that recovers losses
from RED copies and in-band FEC and conceals the rest. The same speech and the same network
draws are run twice: plain Opus with concealment only, and Opus with FEC + RED. Both recordings
and the PESQ scores are written to -out.

This is the offline half only: 'parley demo' without -offline places the live encrypted call
(signaling, SAS, TURN fallback) and ends with the same kind of virtual-time comparison.`)
	link := fs.String("link", "lte-bursty", "network profile: "+strings.Join(netem.ProfileNames(), ", "))
	out := fs.String("out", "parley-demo", "directory for alice.wav, bob.wav, bob-plc-only.wav")
	seed := fs.Uint64("seed", 1, "network randomness seed")
	kbps := fs.Int("kbps", 32, "Opus bitrate in kb/s")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("demo takes no arguments, got %q", fs.Args())
	}
	if *kbps < 6 || *kbps > 510 {
		return usagef("-kbps %d: want 6 to 510", *kbps)
	}
	prof, err := netem.Profile(*link)
	if err != nil {
		return usagef("-link: %v", err)
	}
	clips, err := bench.DefaultClips()
	if err != nil {
		return err
	}
	speech := clips[0].Samples
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Parley demo: %.1f s of real speech over the %q link (seed %d), Opus %d kb/s, 20 ms frames\n\n",
		float64(len(speech))/bench.SampleRateHz, *link, *seed, *kbps)

	type variant struct {
		name, file string
		cfg        bench.SendConfig
	}
	plain := codec.DefaultSettings()
	plain.BitrateBps, plain.FEC, plain.LossHint = *kbps*1000, false, 0
	protected := plain
	protected.FEC, protected.LossHint = true, 0.1
	variants := []variant{
		{"plain Opus, concealment only", "bob-plc-only.wav", bench.SendConfig{Settings: plain}},
		{"Opus + FEC + RED depth 1", "bob.wav", bench.SendConfig{Settings: protected, REDDepth: 1}},
	}
	if err := codec.WriteWAVFile(filepath.Join(*out, "alice.wav"), codec.Audio{SampleRateHz: bench.SampleRateHz, Samples: speech}, codec.WAVPCM16); err != nil {
		return err
	}
	for _, v := range variants {
		if err := ctx.Err(); err != nil {
			return err
		}
		l, err := netem.NewLink(prof, *seed)
		if err != nil {
			return err
		}
		rx := &bench.FixedReceiver{Delay: 100 * time.Millisecond, FEC: v.cfg.Settings.FEC}
		res, err := bench.Run(speech, v.cfg, l, rx)
		if err != nil {
			return err
		}
		path := filepath.Join(*out, v.file)
		if err := codec.WriteWAVFile(path, codec.Audio{SampleRateHz: bench.SampleRateHz, Samples: res.Received}, codec.WAVPCM16); err != nil {
			return err
		}
		// Scored from the files as written, so `parley bench pesq alice.wav bob.wav` agrees.
		q, err := scoreWAVFiles(filepath.Join(*out, "alice.wav"), path)
		if err != nil {
			return err
		}
		st := res.Receive
		fmt.Fprintf(env.Stdout, "%s\n", v.name)
		fmt.Fprintf(env.Stdout, "  sent %d packets, %.1f kb/s payload; network lost %.1f%%\n", res.PacketsSent, res.PayloadKbps(), 100*res.NetworkLoss)
		fmt.Fprintf(env.Stdout, "  frames: %d decoded, %d from RED, %d from FEC, %d concealed, %d late; residual loss %.1f%%\n",
			st.Decoded, st.RecoveredRED, st.RecoveredFEC, st.Concealed, st.Late, 100*st.ResidualLoss())
		fmt.Fprintf(env.Stdout, "  playout delay (network + 100 ms jitter buffer): %v\n", res.Delay)
		fmt.Fprintf(env.Stdout, "  PESQ-WB %.2f   PESQ-NB %.2f   -> %s\n\n", q.WB, q.NB, path)
	}
	fmt.Fprintf(env.Stdout, "Listen: %s (sent) vs %s (received).\n", filepath.Join(*out, "alice.wav"), filepath.Join(*out, "bob.wav"))
	fmt.Fprintf(env.Stdout, "Check a score: parley bench pesq %s %s\n", filepath.Join(*out, "alice.wav"), filepath.Join(*out, "bob.wav"))
	return nil
}
