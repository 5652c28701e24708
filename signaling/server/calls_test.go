package server

import (
	"bytes"
	"testing"
	"time"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling"
)

// agree runs the e2ee agreement between caller a and callee b through the server and returns
// both sessions. b's accepting client is bAcc.
func agree(t *testing.T, a, b *signaling.Client, aID, bID *e2ee.IdentityKey) (*e2ee.Session, *e2ee.Session) {
	t.Helper()
	call := newCallID(t)
	caller, err := e2ee.NewCaller(e2ee.Config{Identity: aID, CallID: call})
	if err != nil {
		t.Fatal(err)
	}
	commit, err := caller.Start()
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := commit.MarshalBinary()
	if err := a.Invite(call, b.User(), cb); err != nil {
		t.Fatal(err)
	}
	expect(t, a, signaling.TypeRinging)
	in := expect(t, b, signaling.TypeIncoming)
	if in.Call != call || in.User != a.User() || !in.Key.Equal(aID.Public()) {
		t.Fatalf("incoming = %+v", in)
	}
	var gotCommit e2ee.Commit
	if err := gotCommit.UnmarshalBinary(in.Data); err != nil {
		t.Fatal(err)
	}
	callee, err := e2ee.NewCallee(e2ee.Config{Identity: bID, CallID: in.Call})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := callee.Respond(&gotCommit)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := resp.MarshalBinary()
	if err := b.Accept(call, rb); err != nil {
		t.Fatal(err)
	}
	expect(t, b, signaling.TypeConnected)
	acc := expect(t, a, signaling.TypeAccepted)
	var gotResp e2ee.Response
	if err := gotResp.UnmarshalBinary(acc.Data); err != nil {
		t.Fatal(err)
	}
	reveal, sa, err := caller.Finish(&gotResp)
	if err != nil {
		t.Fatal(err)
	}
	vb, _ := reveal.MarshalBinary()
	if err := a.Relay(call, vb); err != nil {
		t.Fatal(err)
	}
	rel := expect(t, b, signaling.TypeRelay)
	var gotReveal e2ee.Reveal
	if err := gotReveal.UnmarshalBinary(rel.Data); err != nil {
		t.Fatal(err)
	}
	sb, err := callee.Finish(&gotReveal)
	if err != nil {
		t.Fatal(err)
	}
	return sa, sb
}

func TestCallEndToEndSAS(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, Config{})
	aID, bID := newIdentity(t), newIdentity(t)
	a := dial(t, ts.url, "alice", aID, "")
	b := dial(t, ts.url, "bob", bID, "")
	sa, sb := agree(t, a, b, aID, bID)
	if !sa.SAS().Equal(sb.SAS()) {
		t.Fatalf("SAS differ: %v vs %v", sa.SAS(), sb.SAS())
	}
	// Sealed SDP travels both ways, in order.
	for i := range 5 {
		env, err := sb.Seal(nil, []byte("answer sdp"))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Relay(sa.CallID(), env); err != nil {
			t.Fatal(err)
		}
		got := expect(t, a, signaling.TypeRelay)
		pt, err := sa.Open(nil, got.Data)
		if err != nil || !bytes.Equal(pt, []byte("answer sdp")) {
			t.Fatalf("envelope %d: %q %v", i, pt, err)
		}
	}
	if err := a.Hangup(sa.CallID()); err != nil {
		t.Fatal(err)
	}
	expect(t, b, signaling.TypeHangup)
	// After hang-up relays are refused.
	if err := b.Relay(sa.CallID(), []byte{1}); err != nil {
		t.Fatal(err)
	}
	if f := expect(t, b, signaling.TypeError); f.Code != signaling.CodeState {
		t.Fatalf("code = %s", f.Code)
	}
}

func TestUnavailableAtOnce(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, Config{})
	a := dial(t, ts.url, "alice", newIdentity(t), "")
	call := newCallID(t)
	if err := a.Invite(call, "nobody", []byte{1}); err != nil {
		t.Fatal(err)
	}
	if f := expect(t, a, signaling.TypeUnavailable); f.Call != call {
		t.Fatalf("call = %v", f.Call)
	}
}

func TestRingTimeoutDeclineCancelBusy(t *testing.T) {
	checkGoroutines(t)
	clk := newFakeClock()
	ts := startServer(t, Config{Clock: clk, RingTimeout: 20 * time.Second})
	a := dial(t, ts.url, "alice", newIdentity(t), "")
	b := dial(t, ts.url, "bob", newIdentity(t), "")
	c := dial(t, ts.url, "carol", newIdentity(t), "")

	// Timeout.
	call := newCallID(t)
	_ = a.Invite(call, "bob", []byte{1})
	expect(t, a, signaling.TypeRinging)
	expect(t, b, signaling.TypeIncoming)
	clk.Advance(19 * time.Second)
	clk.Advance(time.Second)
	expect(t, a, signaling.TypeTimeout)
	if f := expect(t, b, signaling.TypeCancelled); f.Reason != signaling.ReasonTimeout {
		t.Fatalf("reason %q", f.Reason)
	}

	// Decline.
	call = newCallID(t)
	_ = a.Invite(call, "bob", []byte{1})
	expect(t, a, signaling.TypeRinging)
	expect(t, b, signaling.TypeIncoming)
	_ = b.Decline(call)
	expect(t, a, signaling.TypeDeclined)

	// Cancel.
	call = newCallID(t)
	_ = a.Invite(call, "bob", []byte{1})
	expect(t, a, signaling.TypeRinging)
	expect(t, b, signaling.TypeIncoming)
	_ = a.Cancel(call)
	if f := expect(t, b, signaling.TypeCancelled); f.Reason != signaling.ReasonCancel {
		t.Fatalf("reason %q", f.Reason)
	}

	// Busy: bob is in a call with carol; alice rings bob.
	call = newCallID(t)
	_ = c.Invite(call, "bob", []byte{1})
	expect(t, c, signaling.TypeRinging)
	expect(t, b, signaling.TypeIncoming)
	_ = b.Accept(call, []byte{2})
	expect(t, b, signaling.TypeConnected)
	expect(t, c, signaling.TypeAccepted)
	call2 := newCallID(t)
	_ = a.Invite(call2, "bob", []byte{1})
	expect(t, a, signaling.TypeBusy)
	clk.Advance(time.Minute) // no stale timers fire into the answered call
	_ = c.Hangup(call)
	expect(t, b, signaling.TypeHangup)
}

func TestMultiDeviceFirstAcceptWins(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, Config{})
	bID := newIdentity(t)
	a := dial(t, ts.url, "alice", newIdentity(t), "")
	b1 := dial(t, ts.url, "bob", bID, "phone")
	b2 := dial(t, ts.url, "bob", bID, "laptop")
	b3 := dial(t, ts.url, "bob", bID, "tablet")
	call := newCallID(t)
	_ = a.Invite(call, "bob", []byte{1})
	expect(t, a, signaling.TypeRinging)
	for _, d := range []*signaling.Client{b1, b2, b3} {
		expect(t, d, signaling.TypeIncoming)
	}
	// Two devices accept at once; the third keeps ringing until told.
	_ = b1.Accept(call, []byte("one"))
	_ = b2.Accept(call, []byte("two"))
	acc := expect(t, a, signaling.TypeAccepted)
	winner := map[string]*signaling.Client{"phone": b1, "laptop": b2}[acc.Device]
	if winner == nil {
		t.Fatalf("accepted by %q", acc.Device)
	}
	expect(t, winner, signaling.TypeConnected)
	for _, d := range []*signaling.Client{b1, b2, b3} {
		if d == winner {
			continue
		}
		if f := expect(t, d, signaling.TypeCancelled); f.Reason != signaling.ReasonAnsweredElsewhere {
			t.Fatalf("%s: reason %q", d.Device(), f.Reason)
		}
	}
	// Relays reach only the winning device.
	_ = a.Relay(call, []byte("hello"))
	if f := expect(t, winner, signaling.TypeRelay); string(f.Data) != "hello" {
		t.Fatalf("data %q", f.Data)
	}
	select {
	case f := <-a.Events():
		t.Fatalf("caller got a second event: %s", f.Type)
	default:
	}
}
