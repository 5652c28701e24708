package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/internal/natlab"
)

func TestConfigValidation(t *testing.T) {
	id, _ := e2ee.NewCallID(nil)
	p, _ := NewPipe(id)
	defer p.Close()
	for _, cfg := range []Config{
		{Frame: 15 * time.Millisecond},
		{BitrateBps: 1000},
		{REDDepth: 9},
		{Policy: Policy(7)},
		{ICEServers: []ICEServer{{URLs: []string{"http://example.com"}}}},
		{SetupTimeout: -time.Second},
	} {
		if _, err := Dial(context.Background(), cfg, p); !errors.Is(err, ErrConfig) {
			t.Errorf("Dial(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
	if _, err := Answer(context.Background(), Config{}, p, []byte("not a commit")); !errors.Is(err, ErrProtocol) {
		t.Errorf("Answer with a bad invite: %v, want ErrProtocol", err)
	}
}

// dialOnly dials over a Pipe and returns the call and the callee's end, after the invite.
func dialOnly(t *testing.T, ctx context.Context, cfg Config) (*Call, *Pipe, Message) {
	t.Helper()
	id, _ := e2ee.NewCallID(nil)
	pa, pb := NewPipe(id)
	t.Cleanup(func() { pa.Close(); pb.Close() })
	a, err := Dial(ctx, cfg, pa)
	if err != nil {
		t.Fatal(err)
	}
	m, err := pb.Recv(ctx)
	if err != nil || m.Kind != KindInvite {
		t.Fatalf("got %v, %v; want the invite", m.Kind, err)
	}
	return a, pb, m
}

func TestDeclined(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, pb, _ := dialOnly(t, ctx, Config{})
	_ = pb.Send(ctx, Message{Kind: KindDecline})
	if ev := waitState(t, ctx, a, StateEnded); ev.Reason != ReasonDeclined {
		t.Fatalf("ended %v, want declined", ev)
	}
	if _, err := a.SAS(); !errors.Is(err, ErrNotKeyed) {
		t.Errorf("SAS of an unanswered call: %v", err)
	}
}

func TestCancelWhileRinging(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, pb, _ := dialOnly(t, ctx, Config{})
	if err := a.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	m, err := pb.Recv(ctx)
	if err != nil || m.Kind != KindHangup {
		t.Fatalf("callee got %v %v, want a hangup", m.Kind, err)
	}
	if r, _ := a.Reason(); r != ReasonHangup {
		t.Errorf("reason %v", r)
	}
}

func TestSetupTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, _, _ := dialOnly(t, ctx, Config{SetupTimeout: 200 * time.Millisecond})
	if ev := waitState(t, ctx, a, StateEnded); ev.Reason != ReasonTimeout {
		t.Fatalf("ended %v, want timeout", ev)
	}
}

// TestUnexpectedPeer: the callee insists on a key the caller does not hold; the agreement
// fails and the callee's call ends with ErrProtocol.
func TestUnexpectedPeer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	other, _ := e2ee.GenerateIdentityKey(nil)
	a, pb, m := dialOnly(t, ctx, Config{})
	defer a.Hangup(ctx)
	_, err := Answer(ctx, Config{PeerIdentity: other.Public()}, pb, m.Data)
	if err == nil {
		t.Fatal("Answer accepted an invite from an unexpected identity")
	}
	if !errors.Is(err, ErrProtocol) {
		t.Errorf("err %v, want ErrProtocol", err)
	}
}

// TestMuteAndVerify mutes the caller mid-call: its packets stop (DTX) while the call stays up;
// Verify marks the call verified and pins the key in a store.
func TestMuteAndVerify(t *testing.T) {
	l, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	defer l.Close()
	store, err := e2ee.OpenStore(t.TempDir() + "/peers.json")
	if err != nil {
		t.Fatal(err)
	}
	ca.Store, ca.PeerName = store, "bob"
	ca.Source = &audio.Tone{FrequencyHz: 440, Amplitude: 0.3}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b := connect(t, ctx, ca, cb)
	waitState(t, ctx, a, StateConnected)
	if st := a.Stats(); st.Trust != e2ee.StatusFirstContact {
		t.Errorf("trust %v, want first contact", st.Trust)
	}
	if err := a.Verify(); err != nil {
		t.Fatal(err)
	}
	if rec, err := store.Lookup("bob"); err != nil || !rec.Verified {
		t.Errorf("store: %+v, %v", rec, err)
	}
	waitAudio(t, a, a, 0)
	for a.Stats().Send.PacketsSent < 20 {
		time.Sleep(20 * time.Millisecond)
	}
	a.Mute(true)
	time.Sleep(200 * time.Millisecond) // the encoder's DTX needs a few frames to settle
	before := a.Stats().Send
	time.Sleep(500 * time.Millisecond)
	after := a.Stats().Send
	if sent := after.PacketsSent - before.PacketsSent; sent > 5 {
		t.Errorf("muted caller sent %d packets in 0.5 s", sent)
	}
	if after.FramesDTX <= before.FramesDTX || !a.Muted() {
		t.Errorf("no DTX frames while muted: %+v → %+v", before, after)
	}
	if !a.Stats().Verified {
		t.Error("Stats.Verified false after Verify")
	}
	hangup(t, a)
	<-b.Done()
}
