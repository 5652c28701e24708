package line_test

import (
	"context"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/engine"
	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/engine/line"
	"github.com/parley-voice/parley/internal/natlab"
	"github.com/parley-voice/parley/signaling"
	"github.com/parley-voice/parley/signaling/server"
)

// serveSignaling serves a real signaling server with cfg on a free loopback port and returns
// it with its WebSocket URL; the caller closes it.
func serveSignaling(t *testing.T, cfg server.Config) (*server.Server, string) {
	t.Helper()
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	return srv, "ws://" + ln.Addr().String() + server.PathWS
}

// TestCallThroughServer places an engine call between two users logged in to a real
// in-process signaling server; media runs across a natlab WAN.
func TestCallThroughServer(t *testing.T) {
	base := runtime.NumGoroutine()
	srv, url := serveSignaling(t, server.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	lab, err := natlab.New(natlab.Config{Peers: []natlab.PeerConfig{{Name: "alice"}, {Name: "bob"}}})
	if err != nil {
		t.Fatal(err)
	}
	login := func(user string) (*signaling.Client, *line.Line, *e2ee.IdentityKey) {
		k, err := e2ee.GenerateIdentityKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, User: user, Identity: k})
		if err != nil {
			t.Fatal(err)
		}
		return c, line.New(c), k
	}
	ac, al, ak := login("alice")
	bc, bl, bk := login("bob")
	cfg := func(name string, k *e2ee.IdentityKey) engine.Config {
		p, err := lab.Peer(name)
		if err != nil {
			t.Fatal(err)
		}
		return engine.Config{Identity: k, Net: p.Net(), ICEServers: []engine.ICEServer{{URLs: []string{lab.STUNURL()}}},
			Source: &audio.Tone{FrequencyHz: 440, Amplitude: 0.2}}
	}

	sig, err := al.Call("bob")
	if err != nil {
		t.Fatal(err)
	}
	a, err := engine.Dial(ctx, cfg("alice", ak), sig)
	if err != nil {
		t.Fatal(err)
	}
	var in *line.Incoming
	select {
	case in = <-bl.Incoming():
	case <-ctx.Done():
		t.Fatal("no incoming call")
	}
	if in.From != "alice" || !in.Key.Equal(ak.Public()) {
		t.Fatalf("incoming from %q key %v", in.From, in.Key)
	}
	bcfg := cfg("bob", bk)
	bcfg.PeerIdentity = in.Key
	b, err := engine.Answer(ctx, bcfg, in.Signal, in.Invite)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*engine.Call{a, b} {
		waitConnected(t, ctx, c)
	}
	sa, _ := a.SAS()
	sb, _ := b.SAS()
	if !sa.Equal(sb) {
		t.Fatalf("SAS differ: %v, %v", sa, sb)
	}
	for deadline := time.Now().Add(10 * time.Second); b.Stats().Receive.FramesDecoded < 25; {
		if time.Now().After(deadline) {
			t.Fatal("no audio at bob")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := b.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.Done():
	case <-ctx.Done():
		t.Fatal("alice's call did not end after bob hung up")
	}
	if r, _ := a.Reason(); r != engine.ReasonRemoteHangup {
		t.Errorf("alice: %v", r)
	}
	sig.Close()
	in.Signal.Close()
	al.Close()
	bl.Close()
	ac.Close()
	bc.Close()
	srv.Close()
	lab.Close()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutine leak: %d > %d\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDeclineAndCancel: a declined call ends with ReasonDeclined at the caller; a call the
// caller hangs up while it rings reaches the callee as a hangup on its Signal.
func TestDeclineAndCancel(t *testing.T) {
	srv, url := serveSignaling(t, server.Config{})
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	login := func(user string) (*signaling.Client, *line.Line) {
		k, _ := e2ee.GenerateIdentityKey(nil)
		c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, User: user, Identity: k})
		if err != nil {
			t.Fatal(err)
		}
		return c, line.New(c)
	}
	ac, al := login("carol")
	bc, bl := login("dave")
	defer ac.Close()
	defer bc.Close()
	defer al.Close()
	defer bl.Close()

	sig, _ := al.Call("dave")
	a, err := engine.Dial(ctx, engine.Config{}, sig)
	if err != nil {
		t.Fatal(err)
	}
	in := <-bl.Incoming()
	if err := in.Signal.Decline(); err != nil {
		t.Fatal(err)
	}
	<-a.Done()
	if r, _ := a.Reason(); r != engine.ReasonDeclined {
		t.Errorf("declined call ended with %v", r)
	}
	sig.Close()

	sig, _ = al.Call("dave")
	a, err = engine.Dial(ctx, engine.Config{}, sig)
	if err != nil {
		t.Fatal(err)
	}
	in = <-bl.Incoming()
	for a.State() != engine.StateRinging {
		if ctx.Err() != nil {
			t.Fatal("caller never rang")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := a.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	m, err := in.Signal.Recv(ctx)
	if err != nil || m.Kind != engine.KindHangup {
		t.Errorf("callee got %v %q, %v; want a hangup", m.Kind, m.Reason, err)
	}
	sig.Close()
	in.Signal.Close()
}

func waitConnected(t *testing.T, ctx context.Context, c *engine.Call) {
	t.Helper()
	for {
		select {
		case ev := <-c.Events():
			if ev.State == engine.StateConnected {
				return
			}
			if ev.State == engine.StateEnded {
				t.Fatalf("call ended: %v", ev)
			}
		case <-ctx.Done():
			t.Fatal("not connected")
		}
	}
}
