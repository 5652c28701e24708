package line_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/engine"
	"github.com/parley-voice/parley/engine/line"
	"github.com/parley-voice/parley/signaling"
	"github.com/parley-voice/parley/signaling/server"
)

// TestCallOutcomes: every way a call can fail before it is answered reaches the engine as its
// own Reason, on the caller and on the callee's devices, through a real signaling server.
func TestCallOutcomes(t *testing.T) {
	srv, url := serveSignaling(t, server.Config{RingTimeout: 500 * time.Millisecond})
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	keys := map[string]*e2ee.IdentityKey{}
	login := func(user, device string) *line.Line {
		k := keys[user]
		if k == nil {
			k, _ = e2ee.GenerateIdentityKey(nil)
			keys[user] = k
		}
		c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, User: user, Device: device, Identity: k})
		if err != nil {
			t.Fatal(err)
		}
		l := line.New(c)
		t.Cleanup(func() { l.Close(); c.Close() })
		return l
	}
	dial := func(l *line.Line, to string) *engine.Call {
		t.Helper()
		sig, err := l.Call(to)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sig.Close() })
		c, err := engine.Dial(ctx, engine.Config{}, sig)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ended := func(c *engine.Call) (engine.Reason, error) {
		t.Helper()
		select {
		case <-c.Done():
		case <-ctx.Done():
			t.Fatal("call did not end")
		}
		return c.Reason()
	}
	incoming := func(l *line.Line) *line.Incoming {
		t.Helper()
		select {
		case in := <-l.Incoming():
			return in
		case <-ctx.Done():
			t.Fatal("no incoming call")
		}
		return nil
	}
	alice := login("alice", "laptop")

	t.Run("unavailable", func(t *testing.T) {
		if r, err := ended(dial(alice, "nobody")); r != engine.ReasonUnavailable {
			t.Errorf("call to an offline user ended with %v (%v), want %v", r, err, engine.ReasonUnavailable)
		}
	})
	t.Run("no_answer", func(t *testing.T) {
		bob := login("bob", "phone")
		c := dial(alice, "bob")
		in := incoming(bob)
		if r, err := ended(c); r != engine.ReasonNoAnswer {
			t.Errorf("unanswered call ended with %v (%v) at the caller, want %v", r, err, engine.ReasonNoAnswer)
		}
		m, err := in.Signal.Recv(ctx)
		if err != nil || m.Kind != engine.KindHangup || m.Reason != string(engine.ReasonNoAnswer) {
			t.Errorf("callee got %v %q (%v), want hangup %q", m.Kind, m.Reason, err, engine.ReasonNoAnswer)
		}
		in.Signal.Close()
	})
	t.Run("busy_and_answered_elsewhere", func(t *testing.T) {
		carol1, carol2 := login("carol", "desk"), login("carol", "mobile")
		c := dial(alice, "carol")
		in1, in2 := incoming(carol1), incoming(carol2)
		// Both of carol's devices answer; the server lets the first accept win.
		a1, err := engine.Answer(ctx, engine.Config{}, in1.Signal, in1.Invite)
		if err != nil {
			t.Fatal(err)
		}
		defer in1.Signal.Close()
		for c.State() < engine.StateConnecting && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		a2, err := engine.Answer(ctx, engine.Config{}, in2.Signal, in2.Invite)
		if err != nil {
			t.Fatal(err)
		}
		defer in2.Signal.Close()
		if r, err := ended(a2); r != engine.ReasonAnsweredElsewhere {
			t.Errorf("the late device's call ended with %v (%v), want %v", r, err, engine.ReasonAnsweredElsewhere)
		}
		// alice, on her only device, is now in a call: dave hears busy.
		dave := login("dave", "pc")
		if r, err := ended(dial(dave, "alice")); r != engine.ReasonBusy {
			t.Errorf("call to a user in a call ended with %v (%v), want %v", r, err, engine.ReasonBusy)
		}
		_ = c.Hangup(ctx)
		// alice hangs up while the winning device may still be setting up media: under load
		// that can end in a setup error instead of remote_hangup (a race of the engine's setup,
		// not of the outcome under test); it must not look like a lost race.
		if r, err := ended(a1); r == engine.ReasonAnsweredElsewhere || r == engine.ReasonCancelled {
			t.Errorf("the answering device's call ended with %v (%v), want %v", r, err, engine.ReasonRemoteHangup)
		}
	})
	t.Run("declined_and_elsewhere", func(t *testing.T) {
		eve1, eve2 := login("eve", "a"), login("eve", "b")
		c := dial(alice, "eve")
		in1, in2 := incoming(eve1), incoming(eve2)
		if err := in1.Signal.Decline(); err != nil {
			t.Fatal(err)
		}
		if r, err := ended(c); r != engine.ReasonDeclined {
			t.Errorf("declined call ended with %v (%v), want %v", r, err, engine.ReasonDeclined)
		}
		m, err := in2.Signal.Recv(ctx)
		if err != nil || m.Reason != string(engine.ReasonDeclinedElsewhere) {
			t.Errorf("the other device got %v %q (%v), want %q", m.Kind, m.Reason, err, engine.ReasonDeclinedElsewhere)
		}
		in1.Signal.Close()
		in2.Signal.Close()
	})
	t.Run("cancelled", func(t *testing.T) {
		frank := login("frank", "x")
		c := dial(alice, "frank")
		in := incoming(frank)
		defer in.Signal.Close()
		for c.State() != engine.StateRinging && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		// frank answers just as alice gives up: his call ends "cancelled", not "hung up".
		_ = c.Hangup(ctx)
		b, err := engine.Answer(ctx, engine.Config{}, in.Signal, in.Invite)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := ended(b); r != engine.ReasonCancelled {
			t.Errorf("callee's call ended with %v (%v), want %v", r, err, engine.ReasonCancelled)
		}
	})
	t.Run("yourself", func(t *testing.T) {
		r, err := ended(dial(alice, "alice"))
		if r != engine.ReasonError || !errors.Is(err, engine.ErrSignal) || err == nil || !strings.Contains(err.Error(), "cannot call yourself") {
			t.Errorf("call to yourself ended with %v (%v), want %v naming the server's reason", r, err, engine.ReasonError)
		}
	})
}
