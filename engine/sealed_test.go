package engine

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/internal/natlab"
)

// dialRecorded connects a to b over a Pipe like connectPipes, recording every relay message
// the caller sends (for replay) before the pipe is used.
func dialRecorded(t *testing.T, ctx context.Context, ca, cb Config) (a, b *Call, pa *Pipe, relays func() []Message) {
	t.Helper()
	id, err := e2ee.NewCallID(nil)
	if err != nil {
		t.Fatal(err)
	}
	pa, pb := NewPipe(id)
	t.Cleanup(func() { pa.Close(); pb.Close() })
	var mu sync.Mutex
	var sent []Message
	pa.Drop = func(m Message) bool {
		if m.Kind == KindRelay {
			mu.Lock()
			sent = append(sent, Message{Kind: m.Kind, Data: append([]byte(nil), m.Data...)})
			mu.Unlock()
		}
		return false
	}
	if a, err = Dial(ctx, ca, pa); err != nil {
		t.Fatal(err)
	}
	m, err := pb.Recv(ctx)
	if err != nil || m.Kind != KindInvite {
		t.Fatalf("callee got %v, %v; want the invite", m.Kind, err)
	}
	if b, err = Answer(ctx, cb, pb, m.Data); err != nil {
		t.Fatal(err)
	}
	return a, b, pa, func() []Message { mu.Lock(); defer mu.Unlock(); return append([]Message(nil), sent...) }
}

// TestOnlySealedHangupEnds is issue 15 item 6: after the keys are agreed, what the signaling
// path can inject does not end the call. Bob gets replayed envelopes of alice's, a forged
// envelope, and unsealed hang-ups with the reasons a server's hangup, cancelled and error
// frames map to; the call stays up with audio flowing, and alice's sealed hang-up then ends
// it as remote_hangup. Before, the first of these ended the call.
func TestOnlySealedHangupEnds(t *testing.T) {
	_, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ca.Source, cb.Source = &audio.Tone{FrequencyHz: 440, Amplitude: 0.3}, &audio.Tone{FrequencyHz: 660, Amplitude: 0.3}
	cb.DisconnectTimeout = 2 * time.Second
	a, b, pa, relays := dialRecorded(t, ctx, ca, cb)
	waitState(t, ctx, a, StateConnected)
	waitState(t, ctx, b, StateConnected)
	waitAudio(t, a, b, 10)

	rec := relays()
	if len(rec) < 2 {
		t.Fatalf("only %d relays recorded", len(rec))
	}
	inject := []Message{rec[0], rec[len(rec)-1], rec[1], // the reveal, then replayed envelopes
		{Kind: KindRelay, Data: make([]byte, 64)}, // forged
		{Kind: KindRelay},                         // empty
	}
	for _, m := range inject {
		if err := pa.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// An unsealed hang-up is the last thing bob reads from signaling: it is treated like lost
	// signaling, so a second one would not even be read.
	if err := pa.Send(ctx, Message{Kind: KindHangup, Reason: string(ReasonCancelled)}); err != nil {
		t.Fatal(err)
	}
	before := b.Stats().Receive.FramesDecoded
	deadline := time.Now().Add(20 * time.Second)
	for b.Stats().Receive.FramesDecoded < before+100 { // two more seconds of audio
		if st := b.State(); st == StateEnded {
			r, err := b.Reason()
			t.Fatalf("bob's call ended by injected signaling: %v (%v)", r, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("audio stopped after the injection: %d → %d frames", before, b.Stats().Receive.FramesDecoded)
		}
		time.Sleep(50 * time.Millisecond) // polling a counter
	}
	t.Logf("after %d injected messages bob is %v and decoded %d more frames", len(inject)+1, b.State(), b.Stats().Receive.FramesDecoded-before)
	// Bob's signaling counts as lost now, so alice's sealed hang-up is not read: bob ends by
	// her DTLS close_notify (authenticated by the media keys) as remote_hangup, or when her
	// media stops as peer_lost; never with the injected reason.
	hangup(t, a)
	ev := waitState(t, ctx, b, StateEnded)
	t.Logf("alice hung up; bob ended: %v", ev.Reason)
	if ev.Reason != ReasonRemoteHangup && ev.Reason != ReasonPeerLost {
		t.Fatalf("bob ended with %v, want remote_hangup or peer_lost", ev.Reason)
	}
}

// TestReplayedEnvelopesDropped: replayed, forged and empty envelopes are dropped without
// ending the call, and the sealed hang-up that follows them still ends it as remote_hangup.
func TestReplayedEnvelopesDropped(t *testing.T) {
	_, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, b, pa, relays := dialRecorded(t, ctx, ca, cb)
	waitState(t, ctx, a, StateConnected)
	waitState(t, ctx, b, StateConnected)
	rec := relays()
	for _, m := range []Message{rec[0], rec[len(rec)-1], {Kind: KindRelay, Data: make([]byte, 64)}, {Kind: KindRelay}} {
		if err := pa.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	hangup(t, a)
	ev := waitState(t, ctx, b, StateEnded)
	if ev.Reason != ReasonRemoteHangup {
		_, err := b.Reason()
		t.Fatalf("bob ended with %v (%v), want %v", ev.Reason, err, ReasonRemoteHangup)
	}
}

// TestRemoteCandidateCap: a peer sending a flood of ICE candidates gets only
// maxRemoteCandidates of them considered per description.
func TestRemoteCandidateCap(t *testing.T) {
	_, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, b := connect(t, ctx, ca, cb)
	waitState(t, ctx, a, StateConnected)
	waitState(t, ctx, b, StateConnected)
	b.mu.Lock()
	had := b.candsThisDesc
	b.mu.Unlock()
	for i := range 100 {
		c, _ := json.Marshal(webrtc.ICECandidateInit{Candidate: "candidate:1 1 udp 2130706431 192.0.2.1 " + itoa(10000+i) + " typ host"})
		if err := a.sendSealed(ctx, envCandidate, c); err != nil {
			t.Fatal(err)
		}
	}
	hangup(t, a) // its sealed hang-up comes after the candidates, so bob has read them all
	waitState(t, ctx, b, StateEnded)
	b.mu.Lock()
	n, kept := b.candsThisDesc, len(b.remoteCands)
	b.mu.Unlock()
	t.Logf("bob had %d candidates, got 100 more: %d counted, %d kept", had, n, kept)
	if kept > maxRemoteCandidates {
		t.Fatalf("%d remote candidates kept, cap %d", kept, maxRemoteCandidates)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestVerifiedKeyChangeFailsClosed is issue 15 item 3: alice verified bob's key; a call
// answered by another key under the name bob ends with ReasonKeyChanged before any media
// flows, on alice's side, and bob's side ends too. An unverified (only pinned) contact still
// connects with StatusChanged.
func TestVerifiedKeyChangeFailsClosed(t *testing.T) {
	_, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	store, err := e2ee.OpenStore(filepath.Join(t.TempDir(), "peers"))
	if err != nil {
		t.Fatal(err)
	}
	oldBob, _ := e2ee.GenerateIdentityKey(nil)
	if err := store.MarkVerified("bob", oldBob.Public()); err != nil {
		t.Fatal(err)
	}
	ca.Store, ca.PeerName = store, "bob"
	cb.Identity, _ = e2ee.GenerateIdentityKey(nil) // "bob" with another key
	a, b := connect(t, ctx, ca, cb)
	for {
		ev := <-a.Events()
		if ev.State == StateConnected {
			t.Fatal("alice's call connected to a changed key")
		}
		if ev.State == StateEnded {
			_, err := a.Reason()
			t.Logf("alice: %v (%v)", ev.Reason, err)
			if ev.Reason != ReasonKeyChanged || !errors.Is(err, ErrKeyChanged) || !errors.Is(err, e2ee.ErrIdentityChanged) {
				t.Fatalf("alice ended with %v, %v", ev.Reason, err)
			}
			break
		}
	}
	if st := a.Stats(); st.Send.PacketsSent != 0 {
		t.Fatalf("alice sent %d media packets", st.Send.PacketsSent)
	}
	ev := waitState(t, ctx, b, StateEnded)
	t.Logf("bob: %v", ev.Reason)
	if rec, _ := store.Lookup("bob"); !rec.Key.Equal(oldBob.Public()) || !rec.Verified {
		t.Fatal("the verified pin was replaced")
	}

	// Pinned but never verified: the call goes ahead, reporting the change.
	if err := store.Forget("bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Observe("bob", oldBob.Public()); err != nil {
		t.Fatal(err)
	}
	a, b = connect(t, ctx, ca, cb)
	waitState(t, ctx, a, StateConnected)
	if tr := a.Stats().Trust; tr != e2ee.StatusChanged {
		t.Fatalf("trust %v", tr)
	}
	hangup(t, a)
	waitState(t, ctx, b, StateEnded)
}
