// The calling subcommands: parley call and parley listen, over the engine and a signaling
// server.

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
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
	as, server, dir, in, out, link, stats string
	relay, direct, verbose, verify        bool
	noAdapt, adaptJitter                  bool
	kbps                                  int
	frame                                 time.Duration
	red                                   int
	proc                                  processingFlags
	liveIn                                bool // -in - plays standard input as it arrives (call)
}

func addCallFlags(fs *flag.FlagSet, f *callFlags) {
	fs.StringVar(&f.as, "as", os.Getenv(envUser), "your user `name` on the server (environment: $"+envUser+")")
	fs.StringVar(&f.server, "server", envOr(envServer, defaultServer), "signaling server WebSocket `URL` (environment: $"+envServer+")")
	fs.StringVar(&f.dir, "dir", "", "config `directory` holding identity.key (default $"+envDir+", else $XDG_CONFIG_HOME/parley);\n"+
		"without an identity a one-time key is used")
	fs.StringVar(&f.in, "in", "", "WAV `file` to send (any rate, mixed to mono); - reads standard input: call plays a 48 kHz\n"+
		"stream as it arrives (sox/arecord pipes), other rates and listen read it to its end first;\n"+
		"without it the microphone, or silence")
	fs.StringVar(&f.out, "out", "", "WAV `file` recording what you hear (48 kHz mono 16-bit), written as the call goes;\n"+
		"listen records call n to FILE-n.wav from the second call on, or to the %d of a name like bob-%d.wav;\n"+
		"- writes the WAV to standard output (messages then go to standard error)")
	fs.StringVar(&f.link, "link", "", "emulate a network `profile` on your side ("+strings.Join(netem.ProfileNames(), ", ")+")")
	fs.StringVar(&f.stats, "stats", "text", "per-second statistics `mode`: text (one line), json (one object per line on standard output;\n"+
		"messages then go to standard error) or off")
	fs.BoolVar(&f.relay, "relay", false, "use only TURN relays: the peer never learns your addresses")
	fs.BoolVar(&f.direct, "direct", false, "never use a TURN relay")
	fs.BoolVar(&f.verbose, "v", false, "log engine events, and pion's own logs")
	fs.BoolVar(&f.verify, "verify", false, "mark the peer's key verified when the keys are agreed, without asking (on a terminal you are\n"+
		"asked whether the SAS matched; otherwise use 'parley contacts verify NAME' after comparing it)")
	fs.IntVar(&f.kbps, "kbps", 32, "Opus bitrate in kb/s to start with, 6 to 510 (held for the call with -no-adapt)")
	f.frame = 20 * time.Millisecond
	fs.Func("frame", "Opus frame `duration` to start with: 10ms, 20ms, 40ms or 60ms (default 20ms)", frameFlag(&f.frame))
	fs.IntVar(&f.red, "red", 0, "RED depth to start with: earlier frames repeated per packet (0-3)")
	fs.BoolVar(&f.noAdapt, "no-adapt", false, "turn the network adaptation off: -kbps, -frame and -red hold for the whole call")
	fs.BoolVar(&f.adaptJitter, "adapt-jitter", false, "let the adaptation also set the jitter-buffer target (off: the buffer's own: the NetEq-like delay quantile plus the cover the peer's redundancy needs)")
	addProcessingFlags(fs, &f.proc, "on for the microphone, off for -in")
}

func cmdCall(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "call", "USER", "Place an end-to-end encrypted call to USER through a signaling server.\n\n"+
		"The key agreement and every session description travel sealed; compare the SAS printed at\n"+
		"connect with your peer. The call ends when the -in file has been sent (plus a second), after\n"+
		"-for, when the peer hangs up, or on Ctrl-C. One line of statistics is printed per second.\n"+
		"A call that does not connect says why (offline, busy, no answer, declined) and exits non-zero.\n"+
		exitStatusHelp+"\n"+envHelp)
	var f callFlags
	addCallFlags(fs, &f)
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
		return usagef("call: say who you are with -as NAME (or set $%s)", envUser)
	}
	if !signaling.ValidName(to) || !signaling.ValidName(f.as) {
		return usagef("call: user names are 1-32 of a-z 0-9 . _ -")
	}
	if to == f.as {
		return usagef("call: %s cannot call themselves", to)
	}
	if *dur < 0 {
		return usagef("-for %v: give a positive duration (e.g. -for 30s)", *dur)
	}
	if err := checkCallFlags(&f); err != nil {
		return err
	}
	f.liveIn = true
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
	fmt.Fprintf(p.say, "calling %s as %s ...\n", to, f.as)
	cfg := p.cfg
	cfg.PeerName = to
	cfg.Source = p.source()
	if (p.src != nil || p.stream != nil) && *dur == 0 {
		p.hangupAfterSrc = time.Second // the file's last second reaches the peer first
		cfg.HangupAfterSourceEnds = p.hangupAfterSrc
	}
	var rec *audio.WAVWriter
	cfg.Sink, rec = p.sink(1)
	call, err := engine.Dial(ctx, cfg, sig)
	if err != nil {
		return err
	}
	return p.run(ctx, call, to, true, rec, *dur)
}

func cmdListen(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "listen", "", "Wait for incoming calls and answer them (end-to-end encrypted).\n\n"+
		"Each call is answered at once; compare the SAS printed at connect with your peer. With -out\n"+
		"every call is recorded, each to its own file. A call answered first on another of your\n"+
		"devices says so and records nothing.\n"+exitStatusHelp+"\n"+envHelp)
	var f callFlags
	addCallFlags(fs, &f)
	count := fs.Int("calls", 1, "handle this many incoming calls, then exit (0: forever)")
	decline := fs.Bool("decline", false, "decline every incoming call (do not disturb; the caller hears \"declined\")")
	after := fs.Duration("answer-after", 0, "let a call ring this long before answering (the caller may give up first)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("listen takes no arguments, got %q", fs.Args())
	}
	if f.as == "" || !signaling.ValidName(f.as) {
		return usagef("listen: say who you are with -as NAME (1-32 of a-z 0-9 . _ -, or set $%s)", envUser)
	}
	if *count < 0 {
		return usagef("-calls %d: give 0 (forever) or more", *count)
	}
	if *after < 0 {
		return usagef("-answer-after %v: give a positive duration (e.g. -answer-after 5s)", *after)
	}
	if f.out == "-" && *count != 1 {
		return usagef("-out - records one call: use -calls 1, or a file name")
	}
	if err := checkCallFlags(&f); err != nil {
		return err
	}
	p, err := openPhone(ctx, env, &f)
	if err != nil {
		return err
	}
	defer p.close()
	fmt.Fprintf(p.say, "listening as %s on %s\n", f.as, f.server)
	var last error
	for n := 1; *count == 0 || n <= *count; n++ {
		var in *line.Incoming
		select {
		case <-ctx.Done():
			return last
		case in = <-p.line.Incoming():
			if in == nil {
				return fmt.Errorf("signaling connection lost: %v", p.client.Err())
			}
		}
		if *decline {
			fmt.Fprintf(p.say, "incoming call from %s (key %s), declining\n", in.From, in.Key.Fingerprint())
			err := in.Signal.Decline()
			in.Signal.Close()
			if err != nil {
				return err
			}
			last = nil
			continue
		}
		if *after > 0 {
			fmt.Fprintf(p.say, "incoming call from %s (key %s), ringing for %v\n", in.From, in.Key.Fingerprint(), *after)
			if r, ended := ringFor(ctx, in, *after); ended {
				in.Signal.Close()
				if ctx.Err() != nil {
					return last
				}
				msg, code := describe(r, nil, in.From, false)
				fmt.Fprintf(p.say, "call ended: %s\n", msg)
				if p.json != nil {
					writeJSON(p.json, callEvent{Type: "ended", Reason: string(r), Message: msg, Exit: &code, Peer: in.From})
				}
				last = nil
				if code != 0 {
					last = &outcomeError{msg: msg, code: code}
				}
				continue
			}
		}
		fmt.Fprintf(p.say, "incoming call from %s (key %s), answering\n", in.From, in.Key.Fingerprint())
		cfg := p.cfg
		cfg.PeerIdentity = in.Key
		cfg.PeerName = in.From
		cfg.Source = p.source() // every call hears the file from its start
		var rec *audio.WAVWriter
		cfg.Sink, rec = p.sink(n)
		call, err := engine.Answer(ctx, cfg, in.Signal, in.Invite)
		if err != nil {
			// A malformed invite is the caller's problem, not a reason to stop listening.
			_ = in.Signal.Decline()
			fmt.Fprintf(env.Stderr, "declined the call from %s: bad invite: %v\n", in.From, err)
			n--
			continue
		}
		last = p.run(ctx, call, in.From, false, rec, 0)
		in.Signal.Close()
		var oe *outcomeError
		if last != nil && !errors.As(last, &oe) {
			return last
		}
	}
	return last
}

// ringFor lets an incoming call ring for d. It reports the Reason the call ended with if the
// caller gave up (or the server ended it) first, and ended false when it is time to answer.
func ringFor(ctx context.Context, in *line.Incoming, d time.Duration) (engine.Reason, bool) {
	rctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		m, err := in.Signal.Recv(rctx)
		switch {
		case ctx.Err() != nil:
			return engine.ReasonHangup, true
		case rctx.Err() != nil:
			return "", false
		case err != nil:
			return engine.ReasonError, true
		case m.Kind == engine.KindHangup:
			return engine.Reason(m.Reason), true // engine/line gives the engine.Reason
		}
	}
}

// phone is a logged-in signaling client with its line and the engine configuration.
type phone struct {
	env     *cmdEnv
	f       *callFlags
	say     io.Writer // messages: standard output, or standard error when it carries data
	json    io.Writer // -stats json: standard output; nil otherwise
	client  *signaling.Client
	line    *line.Line
	cfg     engine.Config // without Source and Sink: source and sink give one per call
	src     *audio.Samples
	stream  audio.Source // call -in - at 48 kHz: standard input as it arrives
	mic     audio.Source
	speaker audio.Sink
	emu     *netem.Net
	devices []io.Closer // PortAudio streams
	// hangupAfterSrc is the caller's engine.Config.HangupAfterSourceEnds (zero: none).
	hangupAfterSrc time.Duration
	sas            *sasConfirm
}

func openPhone(ctx context.Context, env *cmdEnv, f *callFlags) (*phone, error) {
	log := newCallLogger(env, f.verbose)
	p := &phone{env: env, f: f, say: env.Stdout, sas: newSASConfirm(f.verify)}
	if f.stats == "json" || f.out == "-" {
		p.say = env.Stderr
	}
	if f.stats == "json" {
		p.json = env.Stdout
	}
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
	switch f.in {
	case "":
		if mic, err := portaudio.OpenMicrophone(); err != nil {
			fmt.Fprintf(env.Stderr, "note: no microphone (%v): sending silence; pass -in FILE.wav to send a recording\n", err)
		} else {
			p.devices = append(p.devices, mic)
			p.mic = mic
		}
	default:
		var src audio.Source
		var err error
		switch {
		case f.in == "-" && f.liveIn:
			src, err = audio.StreamWAV(env.stdin()) // 48 kHz plays as it arrives
		case f.in == "-":
			src, err = audio.ReadWAV(env.stdin(), false)
		default:
			src, err = audio.OpenWAV(f.in, false)
		}
		if err != nil {
			return nil, fmt.Errorf("cannot open -in %s: %w", f.in, err)
		}
		if samples, ok := src.(*audio.Samples); ok {
			p.src = samples
		} else {
			p.stream = src
		}
	}
	if f.out == "" {
		if spk, err := portaudio.OpenSpeaker(); err != nil {
			fmt.Fprintf(env.Stderr, "note: no speaker (%v): received audio is discarded; pass -out FILE.wav to record it\n", err)
		} else {
			p.devices = append(p.devices, spk)
			p.speaker = spk
		}
	}
	id, dir, err := loadCallIdentity(env, f.dir)
	if err != nil {
		p.close()
		return nil, err
	}
	p.cfg.Identity = id
	if dir != "" {
		// One key-continuity store per local user, so that two users on one machine (two
		// processes) never share a file.
		if p.cfg.Store, err = e2ee.OpenStore(contactStorePath(dir, f.as)); err != nil {
			p.close()
			return nil, err
		}
	}
	if f.link != "" {
		prof, err := netem.Profile(f.link)
		if err != nil {
			p.close()
			return nil, usagef("-link: %v", err)
		}
		base, err := stdnet.NewNet()
		if err != nil {
			p.close()
			return nil, err
		}
		if p.emu, err = netem.NewNet(base, netem.NetConfig{Egress: prof, Seed: uint64(time.Now().UnixNano())}); err != nil {
			p.close()
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
	say := p.say
	p.client, err = signaling.Dial(dctx, signaling.ClientConfig{URL: f.server, User: f.as, Identity: id, Logger: log,
		OnConnectionChange: func(up bool, err error) {
			if up {
				fmt.Fprintln(say, "signaling server reachable again")
			} else {
				fmt.Fprintf(say, "signaling server connection lost (%v): reconnecting… (a call in progress continues)\n", err)
			}
		}})
	if errors.Is(err, signaling.ErrAuth) {
		p.close()
		return nil, fmt.Errorf("the server has %q bound to another identity key: use the identity you registered with (-dir) or another name: %w", f.as, err)
	}
	if err != nil {
		p.close()
		return nil, fmt.Errorf("cannot reach the signaling server %s: %w (is 'parley serve' running? -server or $%s sets where)", f.server, err, envServer)
	}
	p.line = line.New(p.client)
	p.cfg.ICEServers = p.line.ICEServers()
	return p, nil
}

// source returns the audio the next call sends: the -in file from its start, the microphone,
// or nil (silence).
func (p *phone) source() audio.Source {
	switch {
	case p.src != nil:
		return &audio.Samples{Audio: p.src.Audio}
	case p.stream != nil:
		return p.stream
	case p.mic != nil:
		return p.mic
	}
	return nil
}

// sink returns where the n-th call (from 1) plays: a recording (also returned) or the speaker.
func (p *phone) sink(n int) (audio.Sink, *audio.WAVWriter) {
	switch {
	case p.f.out == "-":
		w := audio.NewWAVStream(p.env.Stdout, 0)
		return w, w
	case p.f.out != "":
		w := audio.NewWAVWriter(recordingPath(p.f.out, n), 0)
		return w, w
	case p.speaker != nil:
		return p.speaker, nil
	}
	return nil, nil
}

func (p *phone) close() {
	if p.line != nil {
		_ = p.line.Close()
	}
	if p.client != nil {
		_ = p.client.Close()
	}
	if p.emu != nil {
		_ = p.emu.Close()
	}
	for _, d := range p.devices {
		_ = d.Close()
	}
}

// run follows one call with peer to its end: SAS at connect, the statistics every second, a
// summary at hang-up. limit > 0 hangs up after that long connected; a caller sending a file
// hangs up a second after it ends. rec, if not nil, is the call's recording. The error is an
// *outcomeError for a call that did not end with a hang-up.
func (p *phone) run(ctx context.Context, call *engine.Call, peer string, caller bool, rec *audio.WAVWriter, limit time.Duration) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var connectedAt time.Time
	srcEnded := false
	var meter statsMeter
	var paths pathLog // the standby, switches and restarts, as printed
	interrupted := ctx.Done()
	var sasAnswer <-chan string // the SAS prompt's answer, while asking
	hung := false
	hang := func(why string) {
		if hung {
			return
		}
		hung = true
		fmt.Fprintf(p.say, "hanging up (%s)\n", why)
		hctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = call.Hangup(hctx)
	}
	event := func(ev callEvent) {
		if p.json != nil {
			ev.Type = "state"
			writeJSON(p.json, ev)
		}
	}
	for {
		select {
		case <-interrupted:
			interrupted = nil
			hang("interrupted")
		case a := <-sasAnswer:
			sasAnswer = nil
			if !p.sas.answered(p.say, call, peer, a) {
				hang("SAS mismatch")
			}
		case ev, ok := <-call.Events():
			if !ok {
				return p.summary(call, peer, caller, rec, !connectedAt.IsZero())
			}
			switch ev.State {
			case engine.StateConnecting:
				if sas, err := call.SAS(); err == nil {
					fmt.Fprintf(p.say, "keys agreed. SAS: %s  <- compare with your peer\n", sas)
					event(callEvent{State: ev.State.String(), SAS: sas.String()})
					sasAnswer = p.sas.keysAgreed(p.say, call, peer)
				}
			case engine.StateConnected:
				if connectedAt.IsZero() {
					connectedAt = time.Now()
					// The key-continuity verdict, once connected: engine.Call.Stats reads
					// pion's ICE transport, which races with pion starting it during setup.
					switch call.Stats().Trust {
					case e2ee.StatusFirstContact:
						fmt.Fprintln(p.say, "  new contact: their key is now remembered")
					case e2ee.StatusKnown, e2ee.StatusVerified:
						fmt.Fprintln(p.say, "  same key as last time")
					case e2ee.StatusChanged:
						fmt.Fprintln(p.say, "  WARNING: this contact's identity key CHANGED since your last call; compare the SAS before trusting it")
					}
					if pr := call.Stats().Processing; pr.EchoCancel || pr.NoiseSuppress || pr.GainControl {
						fmt.Fprintf(p.say, "  microphone processing: echo cancellation %s, noise suppression %s, gain control %s\n",
							onOff(pr.EchoCancel), onOff(pr.NoiseSuppress), onOff(pr.GainControl))
					}
				}
				fmt.Fprintf(p.say, "%s\n", ev)
				event(callEvent{State: ev.State.String(), Path: ev.Path.String(), OutageMs: ms(ev.Outage)})
			case engine.StateReconnecting:
				fmt.Fprintln(p.say, "reconnecting: nothing arrives from the peer, looking for another path")
				event(callEvent{State: ev.State.String()})
			case engine.StateEnded:
				// summary says it
			default:
				fmt.Fprintf(p.say, "%s\n", ev.State)
				event(callEvent{State: ev.State.String()})
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
			s := meter.sample(st, time.Now())
			switch {
			case p.json != nil:
				writeJSON(p.json, s)
			case p.f.stats == "text":
				fmt.Fprintln(p.say, s.text())
			}
			if p.json == nil {
				paths.print(p.say, st)
			}
			if limit > 0 && time.Since(connectedAt) >= limit {
				hang("time limit")
			}
			if p.hangupAfterSrc > 0 && st.Send.SourceEnded && !srcEnded {
				srcEnded = true // the engine hangs up (Config.HangupAfterSourceEnds)
				fmt.Fprintf(p.say, "input file sent; hanging up in %v\n", p.hangupAfterSrc)
			}
		}
	}
}

// summary prints how the call ended (and, if it connected, its closing figures), closes the
// recording and returns the call's outcome.
func (p *phone) summary(call *engine.Call, peer string, caller bool, rec *audio.WAVWriter, connected bool) error {
	st := call.Stats()
	r := st.Receive
	reason, cerr := call.Reason()
	msg, code := describe(reason, cerr, peer, caller)
	fmt.Fprintf(p.say, "call ended: %s\n", msg)
	if connected {
		fmt.Fprintf(p.say, "  path %s, connected %.1f s\n  sent %d packets (%d frames, %d silent under DTX)\n"+
			"  received %d packets, lost %d, late/discarded %d; decoded %d frames, recovered FEC %d RED %d; concealed %.1f%%\n"+
			"  jitter buffer mean delay %.0f ms\n",
			st.Path, st.Connected.Seconds(), st.Send.PacketsSent, st.Send.FramesEncoded, st.Send.FramesDTX,
			r.PacketsReceived, r.PacketsLost, r.PacketsDiscarded, r.FramesDecoded, r.FramesRecoveredFEC, r.FramesRecoveredRED,
			100*frac(r.ConcealedSamples, r.TotalSamplesReceived), ms(r.MeanDelay()))
		printPathSummary(p.say, st)
		if pr := st.Processing; pr.EchoCancel {
			fmt.Fprintf(p.say, "  echo canceller (webrtc's own metrics): ERLE %d dB, ERL %d dB, echo delay %v\n", pr.ERLEdB, pr.ERLdB, pr.EchoDelay)
		}
	}
	var recErr error
	if rec != nil {
		started, n := rec.Started(), rec.Samples()
		recErr = rec.Close()
		switch {
		case recErr != nil:
			fmt.Fprintf(p.say, "  recording failed: %v\n", recErr)
		case started && rec.Path() != "":
			fmt.Fprintf(p.say, "  recorded %s (%.1f s)\n", rec.Path(), float64(n)/audio.SampleRateHz)
		case connected && rec.Path() != "":
			fmt.Fprintf(p.say, "  nothing was played, so %s was not written\n", rec.Path())
		}
	}
	if p.json != nil {
		writeJSON(p.json, callEvent{Type: "ended", Reason: string(reason), Message: msg, Exit: &code, Peer: peer})
	}
	if code != 0 {
		return &outcomeError{msg: msg, code: code}
	}
	if recErr != nil {
		return recErr
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func frac(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
