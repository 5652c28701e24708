package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parley-voice/parley/bench"
	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/engine"
	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/engine/audio/apm"
	"github.com/parley-voice/parley/engine/audio/portaudio"
	"github.com/parley-voice/parley/engine/line"
	"github.com/parley-voice/parley/internal/netem"
	"github.com/parley-voice/parley/signaling"
	"github.com/parley-voice/parley/signaling/server"
)

// cmdDemoLive places a real encrypted call between two in-process clients: an embedded
// signaling server with its embedded TURN server on loopback (as 'parley serve' runs them),
// alice and bob logged in with identities from a temp dir, media through pion over real UDP
// sockets, each peer at its own loopback address, alice's uplink impaired by netem. Halfway, bob's
// network drops every datagram to and from alice's address: the call restarts ICE and carries on
// through the server's TURN relay.
func cmdDemoLive(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "demo", "", `A live encrypted call between alice and bob, in one process, no sound card.

An embedded signaling server with its TURN server, two clients with fresh identities, and a
call through pion over real UDP sockets on loopback, alice's uplink impaired by netem (-link).
Alice speaks codec2-examples speech (looped); bob records. With -mic alice speaks into the
microphone, cleaned by echo cancellation, noise suppression and gain control (-aec, -ns, -agc);
with -speaker bob's audio plays on the speaker. With both on one machine the speaker plays into
the microphone: the echo canceller takes the speaker's audio as its reference (with -aec off
use headphones).
Both SAS are printed, then one line per second. Halfway the direct path breaks and the call moves
to the relay. At the end: PESQ-WB of bob's recording, and alice.wav, bob.wav, stats.json and
call-report.png in -out. Ctrl-C ends the call early and still writes the report.

'parley demo -offline' runs the older virtual-time pipeline comparison instead.`)
	dur := fs.Duration("duration", 20*time.Second, "call length (the direct path breaks at half)")
	out := fs.String("out", "parley-demo", "directory for alice.wav, bob.wav, stats.json, call-report.png")
	link := fs.String("link", "3g", "impairment of alice's uplink (netem profile): "+strings.Join(netem.ProfileNames(), ", "))
	seed := fs.Uint64("seed", 1, "network randomness seed")
	relay := fs.Bool("relay", false, "force the TURN relay from the start (no direct path, no switch)")
	mic := fs.Bool("mic", false, "alice speaks into this machine's microphone (PortAudio default input) instead of the speech file")
	speaker := fs.Bool("speaker", false, "bob plays what he hears on this machine's speaker (PortAudio default output); he still records it")
	noAdapt := fs.Bool("no-adapt", false, "turn the network adaptation off: both sides send fixed 32 kb/s 20 ms Opus with FEC and RED depth 1")
	var pf processingFlags
	addProcessingFlags(fs, &pf, "on with -mic")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	aec, ns, agc, err := pf.switches()
	if err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("demo takes no arguments, got %q", fs.Args())
	}
	if *dur < 4*time.Second || *dur > 10*time.Minute {
		return usagef("-duration %v: want 4s to 10m", *dur)
	}
	prof, err := netem.Profile(*link)
	if err != nil {
		return usagef("-link: %v", err)
	}
	d := &liveDemo{env: env, dur: *dur, out: *out, rec: &tapSink{}, link: *link, prof: prof, seed: *seed, relay: *relay, noAdapt: *noAdapt,
		aec: aec, ns: ns, agc: agc, micProcessed: *mic,
		voice: "alice speaks codec2-examples speech (looped)", ear: "bob records what he hears"}
	// The devices first: a missing one fails before anything starts.
	devs, err := d.openDevices(*mic, *speaker, apm.Config{
		EchoCancel: resolve(aec, *mic), NoiseSuppress: resolve(ns, *mic), GainControl: resolve(agc, *mic)})
	defer func() {
		for _, c := range devs {
			_ = c.Close()
		}
	}()
	if err != nil {
		return err
	}
	if d.speech == nil {
		clips, err := bench.DefaultClips()
		if err != nil {
			return err
		}
		d.speech = &tapSource{src: &loopClip{clip: clips[0].Samples}}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	return d.run(ctx)
}

// openDevices opens the microphone as alice's voice and the speaker as bob's ear, as asked.
// The microphone goes through the audio processing proc asks for (engine/audio/apm, as a call
// on a microphone runs it); with the speaker too, the speaker's audio is the echo canceller's
// reference — in this demo the loop is bob's speaker into alice's microphone, two calls in one
// process, so the demo wires the processor itself rather than each call's engine. Without echo
// cancellation it warns about feedback.
func (d *liveDemo) openDevices(mic, speaker bool, proc apm.Config) ([]io.Closer, error) {
	var devs []io.Closer
	var p *apm.Processor
	if mic && (proc.EchoCancel || proc.NoiseSuppress || proc.GainControl) {
		var err error
		if p, err = apm.New(proc); err != nil {
			return devs, fmt.Errorf("demo: audio processing: %w", err)
		}
		devs = append(devs, p)
	}
	switch {
	case mic && speaker && p != nil && proc.EchoCancel:
		fmt.Fprintln(d.env.Stdout, "note: -mic and -speaker on one machine: bob's speaker plays into alice's microphone; the echo\n"+
			"canceller takes the speaker's audio as its reference. It has never been tried on real hardware:\n"+
			"if it echoes or howls, use headphones.")
	case mic && speaker:
		fmt.Fprintln(d.env.Stdout, "WARNING: -mic and -speaker on one machine with -aec off: bob's speaker plays into alice's\n"+
			"microphone, which echoes and can howl. Use headphones.")
	}
	if mic {
		m, err := portaudio.OpenMicrophone()
		if err != nil {
			return devs, fmt.Errorf("demo -mic: cannot open the microphone (the default PortAudio input device): %w", err)
		}
		devs = append(devs, m)
		var src audio.Source = m
		if p != nil {
			src = &apm.Capture{Source: m, P: p}
		}
		d.speech, d.voice = &tapSource{src: src}, "alice speaks into the microphone"
		if p != nil {
			d.voice += fmt.Sprintf(" (echo cancellation %s, noise suppression %s, gain control %s)",
				onOff(proc.EchoCancel), onOff(proc.NoiseSuppress), onOff(proc.GainControl))
		}
	}
	if speaker {
		s, err := portaudio.OpenSpeaker()
		if err != nil {
			return devs, fmt.Errorf("demo -speaker: cannot open the speaker (the default PortAudio output device): %w", err)
		}
		devs = append(devs, s)
		d.rec.next, d.ear = s, "bob plays what he hears on the speaker and records it"
		if p != nil && proc.EchoCancel {
			d.rec.next = &apm.Reverse{Sink: s, P: p}
		}
	}
	return devs, nil
}

// liveDemo is one run of the live demo.
type liveDemo struct {
	env    *cmdEnv
	dur    time.Duration
	out    string
	speech *tapSource // alice's voice, kept as sent
	rec    *tapSink   // what bob plays, kept
	cut    *netem.Cut
	link   string
	prof   netem.LinkConfig
	seed   uint64
	relay  bool
	// noAdapt turns the engine's network adaptation off on both sides.
	noAdapt bool
	// aec, ns, agc are -aec, -ns, -agc; micProcessed says the demo processes the microphone
	// itself (openDevices), so alice's engine must not process it again.
	aec, ns, agc engine.Switch
	micProcessed bool
	turn         string // the embedded TURN server's UDP address
	voice        string // what alice says, for the header
	ear          string // what bob does with it

	aliceEnd, bobEnd engine.Stats // both sides when the call was hung up

	samples  []demoSample
	switchAt float64          // seconds into the call when the relay path was first seen; -1 if never
	changes  []demoPathChange // path switches and ICE restarts of both sides, in order
	cutAt    float64
	sas      string
}

// run sets up the server, the lab and the clients, follows the call and writes the report.
func (d *liveDemo) run(ctx context.Context) (err error) {
	out := d.env.Stdout
	// The signaling server's own embedded TURN, as 'parley serve' runs it, on loopback.
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	// Both peers are on loopback, which a TURN server refuses to relay to unless allowed.
	ts, err := server.StartTURN(server.TURNServerConfig{Secret: secret, UDPAddr: "127.0.0.1:0",
		AllowPeers: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if err != nil {
		return fmt.Errorf("demo: embedded TURN: %w", err)
	}
	defer ts.Close()
	srv, err := server.New(server.Config{TURN: server.TURNConfig{Secret: secret, URLs: ts.URLs("")}})
	if err != nil {
		return fmt.Errorf("demo: signaling server: %w", err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ln) }()
	defer func() { srv.Close(); <-served }()
	url := "ws://" + ln.Addr().String() + server.PathWS
	d.turn = ts.UDPAddr().String()

	tmp, err := os.MkdirTemp("", "parley-demo-")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer os.RemoveAll(tmp)

	setup, cancelSetup := context.WithTimeout(ctx, 30*time.Second)
	defer cancelSetup()
	alice, err := d.login(setup, url, tmp, "alice")
	if err != nil {
		return err
	}
	defer alice.close()
	bob, err := d.login(setup, url, tmp, "bob")
	if err != nil {
		return err
	}
	defer bob.close()

	acfg, err := d.config(alice, aliceIP)
	if err != nil {
		return err
	}
	bcfg, err := d.config(bob, bobIP)
	if err != nil {
		return err
	}
	uplink, err := netem.NewNet(acfg.Net, netem.NetConfig{Egress: d.prof, Seed: d.seed})
	if err != nil {
		return fmt.Errorf("demo: link %q: %w", d.link, err)
	}
	defer uplink.Close()
	acfg.Net = uplink
	if d.relay {
		acfg.Policy, bcfg.Policy = engine.PolicyRelay, engine.PolicyRelay
	}
	d.cut = netem.NewCut(bcfg.Net, netem.CutConfig{Peer: aliceIP})
	bcfg.Net = d.cut
	acfg.Source = d.speech
	if !d.micProcessed {
		// The speech file: processed only if asked (-aec/-ns/-agc on), by alice's engine.
		acfg.EchoCancel, acfg.NoiseSuppress, acfg.GainControl = d.aec, d.ns, d.agc
	}
	bcfg.Sink = d.rec

	fmt.Fprintf(out, "Parley live demo: signaling server on %s with embedded TURN on %s;\n", url, d.turn)
	fmt.Fprintf(out, "alice at %v, bob at %v (real UDP sockets); alice's uplink: netem %q (seed %d); %v call;\n", aliceIP, bobIP, d.link, d.seed, d.dur)
	fmt.Fprintf(out, "%s; %s\n", d.voice, d.ear)
	fmt.Fprintf(out, "codec: %s\n", codec.Features())
	sig, err := alice.line.Call("bob")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer sig.Close()
	a, err := engine.Dial(setup, acfg, sig)
	if err != nil {
		return fmt.Errorf("demo: alice dials: %w", err)
	}
	defer hangupQuietly(a)
	var in *line.Incoming
	select {
	case in = <-bob.line.Incoming():
	case <-setup.Done():
		return fmt.Errorf("demo: bob got no incoming call: %w", setup.Err())
	}
	defer in.Signal.Close()
	bcfg.PeerIdentity = in.Key
	b, err := engine.Answer(setup, bcfg, in.Signal, in.Invite)
	if err != nil {
		return fmt.Errorf("demo: bob answers: %w", err)
	}
	defer hangupQuietly(b)
	for _, c := range []*engine.Call{a, b} {
		if err := waitConnected(setup, c); err != nil {
			return err
		}
	}
	if err := d.printSAS(a, b); err != nil {
		return err
	}
	interrupted := d.follow(ctx, a, b)
	d.aliceEnd, d.bobEnd = a.Stats(), b.Stats()
	hangupQuietly(a)
	select {
	case <-b.Done():
	case <-time.After(10 * time.Second):
		hangupQuietly(b)
	}
	if interrupted {
		fmt.Fprintln(out, "interrupted: ending the call and writing the report")
	}
	return d.report()
}

// demoUser is one logged-in client.
type demoUser struct {
	name   string
	key    *e2ee.IdentityKey
	client *signaling.Client
	line   *line.Line
}

func (u *demoUser) close() {
	u.line.Close()
	u.client.Close()
}

// login writes a fresh identity to dir/name/identity.key, loads it as 'parley call' does and
// logs in to the signaling server.
func (d *liveDemo) login(ctx context.Context, url, dir, name string) (*demoUser, error) {
	k, err := e2ee.GenerateIdentityKey(nil)
	if err != nil {
		return nil, fmt.Errorf("demo: %s's identity: %w", name, err)
	}
	udir := filepath.Join(dir, name)
	if err := os.MkdirAll(udir, 0o700); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	seed := hex.EncodeToString(k.Seed())
	if err := os.WriteFile(filepath.Join(udir, "identity.key"), []byte(seed+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	k, _, err = loadCallIdentity(d.env, udir)
	if err != nil {
		return nil, fmt.Errorf("demo: %s's identity: %w", name, err)
	}
	c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, User: name, Identity: k})
	if err != nil {
		return nil, fmt.Errorf("demo: %s logs in: %w", name, err)
	}
	return &demoUser{name: name, key: k, client: c, line: line.New(c)}, nil
}

// The peers' addresses: each sees only its own loopback address (demoHost), the server and its
// TURN listen on 127.0.0.1.
var (
	aliceIP = net.IPv4(127, 0, 0, 2)
	bobIP   = net.IPv4(127, 0, 0, 3)
)

// config is u's engine configuration: the real network from ip, and the STUN/TURN servers and
// credentials the signaling server handed out at login (as 'parley call' uses them).
func (d *liveDemo) config(u *demoUser, ip net.IP) (engine.Config, error) {
	host, err := newDemoHost(ip)
	if err != nil {
		return engine.Config{}, err
	}
	ice := u.line.ICEServers()
	if len(ice) == 0 {
		return engine.Config{}, errors.New("demo: the signaling server handed out no TURN server")
	}
	return engine.Config{
		Identity:        u.key,
		Net:             host,
		ICEServers:      ice,
		IncludeLoopback: true,
		REDDepth:        1,
		NoAdapt:         d.noAdapt,
	}, nil
}

// waitConnected reads c's events until it is connected.
func waitConnected(ctx context.Context, c *engine.Call) error {
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok || ev.State == engine.StateEnded {
				return fmt.Errorf("demo: call ended during setup: %v", ev)
			}
			if ev.State == engine.StateConnected {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("demo: call not connected: %w", ctx.Err())
		}
	}
}

func hangupQuietly(c *engine.Call) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Hangup(ctx)
}

// printSAS prints both sides' short authentication strings and checks that they match.
func (d *liveDemo) printSAS(a, b *engine.Call) error {
	sa, err := a.SAS()
	if err != nil {
		return fmt.Errorf("demo: alice's SAS: %w", err)
	}
	sb, err := b.SAS()
	if err != nil {
		return fmt.Errorf("demo: bob's SAS: %w", err)
	}
	fmt.Fprintf(d.env.Stdout, "\nSAS  alice: %v   bob: %v   ", sa, sb)
	if !sa.Equal(sb) {
		fmt.Fprintln(d.env.Stdout, "MISMATCH")
		return errors.New("demo: the two SAS differ: the key agreement was tampered with")
	}
	fmt.Fprintf(d.env.Stdout, "match\n\n")
	d.sas = fmt.Sprint(sa)
	return nil
}
