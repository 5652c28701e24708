// The calling subcommands: parley call and parley listen, over the engine and a signaling
// server.

package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pion/transport/v5/stdnet"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/engine"
	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/engine/audio/portaudio"
	"github.com/parley-voice/parley/engine/line"
	"github.com/parley-voice/parley/internal/netem"
	"github.com/parley-voice/parley/signaling"
)

// callFlags are the flags call and listen share.
type callFlags struct {
	as, server, dir, in, out, link string
	relay, direct, verbose         bool
	noAdapt, adaptJitter           bool
	kbps                           int
	frame                          time.Duration
	red                            int
	proc                           processingFlags
}

func addCallFlags(fs interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
	IntVar(*int, string, int, string)
	DurationVar(*time.Duration, string, time.Duration, string)
}, f *callFlags, as string) {
	fs.StringVar(&f.as, "as", as, "your user `name` on the server")
	fs.StringVar(&f.server, "server", "ws://127.0.0.1:7000/v1/ws", "signaling server WebSocket `URL`")
	fs.StringVar(&f.dir, "dir", "", "config `directory` holding identity.key (default $XDG_CONFIG_HOME/parley);\n"+
		"without an identity a one-time key is used")
	fs.StringVar(&f.in, "in", "", "WAV `file` to send (any rate, mixed to mono); without it silence is sent")
	fs.StringVar(&f.out, "out", "", "WAV `file` to record what you hear (48 kHz mono 16-bit), written at hang-up")
	fs.StringVar(&f.link, "link", "", "emulate a network `profile` on your side ("+strings.Join(netem.ProfileNames(), ", ")+")")
	fs.BoolVar(&f.relay, "relay", false, "use only TURN relays: the peer never learns your addresses")
	fs.BoolVar(&f.direct, "direct", false, "never use a TURN relay")
	fs.BoolVar(&f.verbose, "v", false, "log engine events")
	fs.IntVar(&f.kbps, "kbps", 32, "Opus bitrate in kb/s to start with (held for the call with -no-adapt)")
	fs.DurationVar(&f.frame, "frame", 20*time.Millisecond, "Opus frame duration to start with: 10ms, 20ms, 40ms or 60ms")
	fs.IntVar(&f.red, "red", 0, "RED depth to start with: earlier frames repeated per packet (0-3)")
	fs.BoolVar(&f.noAdapt, "no-adapt", false, "turn the network adaptation off: -kbps, -frame and -red hold for the whole call")
	fs.BoolVar(&f.adaptJitter, "adapt-jitter", false, "let the adaptation also set the jitter-buffer target (off: the buffer's own NetEq-like policy)")
	addProcessingFlags(fs, &f.proc)
}

func cmdCall(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "call", "USER", "Place an end-to-end encrypted call to USER through a signaling server.\n\n"+
		"The key agreement and every session description travel sealed; compare the SAS printed at\n"+
		"connect with your peer. The call ends when the -in file has been sent (plus a second), after\n"+
		"-for, when the peer hangs up, or on Ctrl-C. One line of statistics is printed per second.")
	var f callFlags
	addCallFlags(fs, &f, "")
	dur := fs.Duration("for", 0, "hang up after this long (0: when -in ends, or never without -in)")
	var positional []string
	rest := args
	for { // accept flags after the user name too
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(positional) != 1 {
		return usagef("call: name the one user to call")
	}
	to := positional[0]
	if f.as == "" {
		return usagef("call: say who you are with -as NAME")
	}
	if !signaling.ValidName(to) || !signaling.ValidName(f.as) {
		return usagef("call: user names are 1-32 of a-z 0-9 . _ -")
	}
	p, err := openPhone(ctx, env, &f)
	if err != nil {
		return err
	}
	defer p.close()
	sig, err := p.line.Call(to)
	if err != nil {
		return err
	}
	defer sig.Close()
	fmt.Fprintf(env.Stdout, "calling %s as %s ...\n", to, f.as)
	cfg := p.cfg
	cfg.PeerName = to
	call, err := engine.Dial(ctx, cfg, sig)
	if err != nil {
		return err
	}
	return p.run(ctx, call, *dur, true)
}

func cmdListen(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "listen", "", "Wait for incoming calls and answer them (end-to-end encrypted).\n\n"+
		"Each call is answered at once; compare the SAS printed at connect with your peer. With -out the\n"+
		"received audio is recorded (one file; later calls overwrite it).")
	var f callFlags
	addCallFlags(fs, &f, "")
	count := fs.Int("calls", 1, "answer this many calls, then exit (0: forever)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("listen takes no arguments, got %q", fs.Args())
	}
	if f.as == "" || !signaling.ValidName(f.as) {
		return usagef("listen: say who you are with -as NAME (1-32 of a-z 0-9 . _ -)")
	}
	if *count < 0 {
		return usagef("-calls must be ≥ 0")
	}
	p, err := openPhone(ctx, env, &f)
	if err != nil {
		return err
	}
	defer p.close()
	fmt.Fprintf(env.Stdout, "listening as %s on %s\n", f.as, f.server)
	for n := 0; *count == 0 || n < *count; n++ {
		var in *line.Incoming
		select {
		case <-ctx.Done():
			return nil
		case in = <-p.line.Incoming():
			if in == nil {
				return fmt.Errorf("signaling connection lost: %v", p.client.Err())
			}
		}
		fmt.Fprintf(env.Stdout, "incoming call from %s (key %s), answering\n", in.From, in.Key.Fingerprint())
		cfg := p.cfg
		cfg.PeerIdentity = in.Key
		cfg.PeerName = in.From
		if f.in != "" { // every call hears the file from its start
			if cfg.Source, err = audio.OpenWAV(f.in, false); err != nil {
				return err
			}
		}
		call, err := engine.Answer(ctx, cfg, in.Signal, in.Invite)
		if err != nil {
			in.Signal.Close()
			return err
		}
		err = p.run(ctx, call, 0, false)
		in.Signal.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// phone is a logged-in signaling client with its line and the engine configuration.
type phone struct {
	env     *cmdEnv
	client  *signaling.Client
	line    *line.Line
	cfg     engine.Config
	sink    *audio.WAVWriter
	src     *audio.Samples
	emu     *netem.Net
	out     string
	devices []io.Closer // PortAudio streams
	paths   pathLog     // the call's standby, switches and restarts, as printed
}

func openPhone(ctx context.Context, env *cmdEnv, f *callFlags) (*phone, error) {
	if f.relay && f.direct {
		return nil, usagef("-relay and -direct exclude each other")
	}
	if f.kbps < 6 || f.kbps > 510 || f.red < 0 || f.red > 3 {
		return nil, usagef("-kbps wants 6..510 and -red 0..3")
	}
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	p := &phone{env: env, out: f.out}
	aec, ns, agc, err := f.proc.switches()
	if err != nil {
		return nil, err
	}
	p.cfg = engine.Config{Logger: log, BitrateBps: f.kbps * 1000, Frame: f.frame, REDDepth: f.red,
		NoAdapt: f.noAdapt, AdaptJitter: f.adaptJitter, EchoCancel: aec, NoiseSuppress: ns, GainControl: agc}
	switch {
	case f.relay:
		p.cfg.Policy = engine.PolicyRelay
	case f.direct:
		p.cfg.Policy = engine.PolicyDirect
	}
	if f.in != "" {
		src, err := audio.OpenWAV(f.in, false)
		if err != nil {
			return nil, err
		}
		p.src = src.(*audio.Samples)
		p.cfg.Source = p.src
	} else if mic, err := portaudio.OpenMicrophone(); err != nil {
		fmt.Fprintf(env.Stderr, "note: no microphone (%v): sending silence; pass -in FILE.wav to send a recording\n", err)
	} else {
		p.devices = append(p.devices, mic)
		p.cfg.Source = mic
	}
	if f.out != "" {
		p.sink = audio.NewWAVWriter(f.out, 0)
		p.cfg.Sink = p.sink
	} else if spk, err := portaudio.OpenSpeaker(); err != nil {
		fmt.Fprintf(env.Stderr, "note: no speaker (%v): received audio is discarded; pass -out FILE.wav to record it\n", err)
	} else {
		p.devices = append(p.devices, spk)
		p.cfg.Sink = spk
	}
	id, dir, err := loadCallIdentity(env, f.dir)
	if err != nil {
		return nil, err
	}
	p.cfg.Identity = id
	if dir != "" {
		// One key-continuity store per local user, so that two users on one machine (two
		// processes) never share a file.
		if p.cfg.Store, err = e2ee.OpenStore(filepath.Join(dir, "peers-"+f.as+".json")); err != nil {
			return nil, err
		}
	}
	if f.link != "" {
		prof, err := netem.Profile(f.link)
		if err != nil {
			return nil, usagef("-link: %v", err)
		}
		base, err := stdnet.NewNet()
		if err != nil {
			return nil, err
		}
		if p.emu, err = netem.NewNet(base, netem.NetConfig{Egress: prof, Seed: uint64(time.Now().UnixNano())}); err != nil {
			return nil, err
		}
		p.cfg.Net = p.emu
	}
	if u, err := url.Parse(f.server); err == nil {
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() || u.Hostname() == "localhost" {
			p.cfg.IncludeLoopback = true // a call within this machine
		}
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p.client, err = signaling.Dial(dctx, signaling.ClientConfig{URL: f.server, User: f.as, Identity: id, Logger: log})
	if errors.Is(err, signaling.ErrAuth) {
		return nil, fmt.Errorf("the server has %q bound to another identity key: use the identity you registered with (-dir) or another name: %w", f.as, err)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot reach the signaling server %s: %w (is 'parley serve' running?)", f.server, err)
	}
	p.line = line.New(p.client)
	p.cfg.ICEServers = p.line.ICEServers()
	return p, nil
}

func (p *phone) close() {
	_ = p.line.Close()
	_ = p.client.Close()
	if p.emu != nil {
		_ = p.emu.Close()
	}
	for _, d := range p.devices {
		_ = d.Close()
	}
}

// loadCallIdentity reads DIR/identity.key as cmdID writes it, or makes a one-time key (and
// returns no directory: a one-time key has no contacts to remember).
func loadCallIdentity(env *cmdEnv, dir string) (*e2ee.IdentityKey, string, error) {
	if dir == "" {
		base, err := os.UserConfigDir()
		if err == nil {
			dir = filepath.Join(base, "parley")
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "identity.key"))
	if err != nil {
		fmt.Fprintf(env.Stderr, "note: no identity in %s (run 'parley id new'); using a one-time key\n", dir)
		k, err := e2ee.GenerateIdentityKey(nil)
		return k, "", err
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(b)))
	clear(b)
	if err != nil {
		return nil, "", fmt.Errorf("%s: not a hex seed", filepath.Join(dir, "identity.key"))
	}
	defer clear(seed)
	k, err := e2ee.NewIdentityKey(seed)
	return k, dir, err
}

// run follows one call to its end: SAS at connect, a line of statistics per second, a summary
// at hang-up. limit > 0 hangs up after that long connected; with hangOnEOF and a file source the
// call hangs up a second after the file ends.
func (p *phone) run(ctx context.Context, call *engine.Call, limit time.Duration, hangOnEOF bool) error {
	out := p.env.Stdout
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var connectedAt, srcEnded time.Time
	var lastBytes uint64
	interrupted := ctx.Done()
	hung := false
	hang := func(why string) {
		if hung {
			return
		}
		hung = true
		fmt.Fprintf(out, "hanging up (%s)\n", why)
		hctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = call.Hangup(hctx)
	}
	for {
		select {
		case <-interrupted:
			interrupted = nil
			hang("interrupted")
		case ev, ok := <-call.Events():
			if !ok {
				return p.summary(call)
			}
			switch ev.State {
			case engine.StateConnecting:
				if sas, err := call.SAS(); err == nil {
					fmt.Fprintf(out, "keys agreed. SAS: %s  <- compare with your peer\n", sas)
				}
			case engine.StateConnected:
				if connectedAt.IsZero() {
					connectedAt = time.Now()
					// The key-continuity verdict, once connected: engine.Call.Stats reads
					// pion's ICE transport, which races with pion starting it during setup.
					switch call.Stats().Trust {
					case e2ee.StatusFirstContact:
						fmt.Fprintln(out, "  new contact: their key is now remembered")
					case e2ee.StatusKnown, e2ee.StatusVerified:
						fmt.Fprintln(out, "  same key as last time")
					case e2ee.StatusChanged:
						fmt.Fprintln(out, "  WARNING: this contact's identity key CHANGED since your last call; compare the SAS before trusting it")
					}
					if pr := call.Stats().Processing; pr.EchoCancel || pr.NoiseSuppress || pr.GainControl {
						fmt.Fprintf(out, "  microphone processing: echo cancellation %s, noise suppression %s, gain control %s\n",
							onOff(pr.EchoCancel), onOff(pr.NoiseSuppress), onOff(pr.GainControl))
					}
				}
				fmt.Fprintf(out, "%s\n", ev)
			case engine.StateEnded:
				fmt.Fprintf(out, "%s\n", ev)
			default:
				fmt.Fprintf(out, "%s\n", ev.State)
			}
		case <-tick.C:
			if connectedAt.IsZero() {
				// Not before the first connect: engine.Call.Stats reads pion's ICE transport,
				// which races with pion starting it during setup (seen under -race).
				continue
			}
			st := call.Stats()
			if st.State != engine.StateConnected && st.State != engine.StateReconnecting {
				continue
			}
			kbps := float64(st.Send.BytesSent-lastBytes) * 8 / 1000
			lastBytes = st.Send.BytesSent
			loss := 0.0
			if exp := float64(st.Receive.PacketsReceived) + float64(st.Receive.PacketsLost); exp > 0 {
				loss = float64(st.Receive.PacketsLost) / exp
			}
			fmt.Fprintf(out, "%5.0fs %-8s path %-22s send %5.1f kb/s (opus %s)  rx loss %4.1f%%  jb %3.0f ms (target %3.0f)  concealed %4.1f%%  rtt %3.0f ms  MOS %.2f\n",
				st.Connected.Seconds(), st.State, st.Path, kbps, sendSettings(st.Send), 100*loss, ms(st.Receive.MeanDelay()), ms(st.Receive.TargetDelay),
				100*frac(st.Receive.ConcealedSamples, st.Receive.TotalSamplesReceived), ms(st.RTT), st.MOS)
			p.paths.print(out, st)
			if limit > 0 && !connectedAt.IsZero() && time.Since(connectedAt) >= limit {
				hang("time limit")
			}
			if hangOnEOF && p.src != nil && st.Send.SourceEnded && limit == 0 {
				if srcEnded.IsZero() {
					srcEnded = time.Now()
				} else if time.Since(srcEnded) >= time.Second {
					hang("input file sent")
				}
			}
		}
	}
}

// summary prints the call's closing figures and writes the recording.
func (p *phone) summary(call *engine.Call) error {
	st := call.Stats()
	r := st.Receive
	reason, cerr := call.Reason()
	fmt.Fprintf(p.env.Stdout, "call ended: %s\n  path %s, connected %.1f s\n  sent %d packets (%d frames, %d silent under DTX)\n"+
		"  received %d packets, lost %d, late/discarded %d; decoded %d frames, recovered FEC %d RED %d; concealed %.1f%%\n"+
		"  jitter buffer mean delay %.0f ms\n",
		reason, st.Path, st.Connected.Seconds(), st.Send.PacketsSent, st.Send.FramesEncoded, st.Send.FramesDTX,
		r.PacketsReceived, r.PacketsLost, r.PacketsDiscarded, r.FramesDecoded, r.FramesRecoveredFEC, r.FramesRecoveredRED,
		100*frac(r.ConcealedSamples, r.TotalSamplesReceived), ms(r.MeanDelay()))
	p.paths.summary(p.env.Stdout, st)
	if pr := st.Processing; pr.EchoCancel {
		fmt.Fprintf(p.env.Stdout, "  echo canceller (webrtc's own metrics): ERLE %d dB, ERL %d dB, echo delay %v\n", pr.ERLEdB, pr.ERLdB, pr.EchoDelay)
	}
	if p.sink != nil {
		if err := p.sink.Close(); err != nil {
			return err
		}
		fmt.Fprintf(p.env.Stdout, "  recorded %s\n", p.out)
	}
	if reason == engine.ReasonError || reason == engine.ReasonFailed || reason == engine.ReasonTimeout {
		return fmt.Errorf("call failed: %s: %v", reason, cerr)
	}
	return nil
}

// sendSettings names the send settings in force, e.g. "24k/20ms FEC+RED2".
func sendSettings(s engine.SendStats) string {
	prot := ""
	switch {
	case s.FEC && s.RED && s.REDDepth > 0:
		prot = fmt.Sprintf(" FEC+RED%d", s.REDDepth)
	case s.FEC:
		prot = " FEC"
	case s.RED && s.REDDepth > 0:
		prot = fmt.Sprintf(" RED%d", s.REDDepth)
	}
	return fmt.Sprintf("%dk/%dms%s", s.BitrateBps/1000, s.Frame.Milliseconds(), prot)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func frac(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
