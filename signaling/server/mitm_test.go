package server

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling"
)

// hostileBroker is a malicious server: it sits on every route message and runs its own
// agreement with each side, substituting its identity and keys (what a lying server could do
// on first contact). The SAS must expose it.
type hostileBroker struct {
	MemoryBroker
	t  *testing.T
	id *e2ee.IdentityKey

	mu     sync.Mutex
	callee *e2ee.Callee // plays callee towards the real caller
	caller *e2ee.Caller // plays caller towards the real callee
	commit e2ee.Commit  // the real caller's commit
	reveal []byte       // what to send the real callee instead of the caller's reveal
	toA    *e2ee.Session
	toB    *e2ee.Session
}

func (h *hostileBroker) tamper(data []byte) []byte {
	var r route
	if err := json.Unmarshal(data, &r); err != nil {
		return data
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch r.Kind {
	case signaling.TypeInvite:
		if err := h.commit.UnmarshalBinary(r.Data); err != nil {
			h.t.Error(err)
			return data
		}
		h.callee, _ = e2ee.NewCallee(e2ee.Config{Identity: h.id, CallID: r.Call})
		h.caller, _ = e2ee.NewCaller(e2ee.Config{Identity: h.id, CallID: r.Call})
		c, err := h.caller.Start()
		if err != nil {
			h.t.Error(err)
			return data
		}
		r.Data, _ = c.MarshalBinary()
		r.FromKey = h.id.Public()
	case signaling.TypeAccept:
		var resp e2ee.Response
		if err := resp.UnmarshalBinary(r.Data); err != nil {
			h.t.Error(err)
			return data
		}
		rev, sB, err := h.caller.Finish(&resp)
		if err != nil {
			h.t.Error(err)
			return data
		}
		h.toB = sB
		h.reveal, _ = rev.MarshalBinary()
		myResp, err := h.callee.Respond(&h.commit)
		if err != nil {
			h.t.Error(err)
			return data
		}
		r.Data, _ = myResp.MarshalBinary()
	case signaling.TypeRelay:
		if h.reveal == nil {
			return data
		}
		var rev e2ee.Reveal
		if err := rev.UnmarshalBinary(r.Data); err != nil {
			return data
		}
		sA, err := h.callee.Finish(&rev)
		if err != nil {
			h.t.Error(err)
			return data
		}
		h.toA = sA
		r.Data, h.reveal = h.reveal, nil
	default:
		return data
	}
	out, _ := json.Marshal(r)
	return out
}

func (h *hostileBroker) Publish(ctx context.Context, subject string, data []byte) error {
	return h.MemoryBroker.Publish(ctx, subject, h.tamper(data))
}

func (h *hostileBroker) Request(ctx context.Context, subject string, data []byte) ([]byte, error) {
	return h.MemoryBroker.Request(ctx, subject, h.tamper(data))
}

func TestMaliciousServerDetectedBySAS(t *testing.T) {
	checkGoroutines(t)
	hb := &hostileBroker{t: t, id: newIdentity(t)}
	ts := startServer(t, Config{Broker: hb})
	aID, bID := newIdentity(t), newIdentity(t)
	a := dial(t, ts.url, "alice", aID, "")
	b := dial(t, ts.url, "bob", bID, "")

	// Bob's incoming call claims the attacker's key; both agreements complete.
	sa, sb := agree2(t, a, b, aID, bID, hb.id.Public())
	if sa.Peer().Equal(bID.Public()) || sb.Peer().Equal(aID.Public()) {
		t.Fatal("the attack did not substitute identities")
	}
	if sa.SAS().Equal(sb.SAS()) {
		t.Fatalf("SAS equal under a man in the middle: %v", sa.SAS())
	}
	hb.mu.Lock()
	ok := hb.toA != nil && hb.toB != nil && hb.toA.SAS().Equal(sa.SAS()) && hb.toB.SAS().Equal(sb.SAS())
	hb.mu.Unlock()
	if !ok {
		t.Fatal("attacker did not complete both agreements")
	}
}

// agree2 is agree with the incoming key expected to be wantKey (the attacker's).
func agree2(t *testing.T, a, b *signaling.Client, aID, bID *e2ee.IdentityKey, wantKey e2ee.PublicIdentity) (*e2ee.Session, *e2ee.Session) {
	t.Helper()
	call := newCallID(t)
	caller, _ := e2ee.NewCaller(e2ee.Config{Identity: aID, CallID: call})
	commit, _ := caller.Start()
	cb, _ := commit.MarshalBinary()
	_ = a.Invite(call, b.User(), cb)
	expect(t, a, signaling.TypeRinging)
	in := expect(t, b, signaling.TypeIncoming)
	if !in.Key.Equal(wantKey) {
		t.Fatal("incoming key not substituted")
	}
	var c e2ee.Commit
	if err := c.UnmarshalBinary(in.Data); err != nil {
		t.Fatal(err)
	}
	callee, _ := e2ee.NewCallee(e2ee.Config{Identity: bID, CallID: call})
	resp, err := callee.Respond(&c)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := resp.MarshalBinary()
	_ = b.Accept(call, rb)
	expect(t, b, signaling.TypeConnected)
	acc := expect(t, a, signaling.TypeAccepted)
	var r e2ee.Response
	if err := r.UnmarshalBinary(acc.Data); err != nil {
		t.Fatal(err)
	}
	rev, sa, err := caller.Finish(&r)
	if err != nil {
		t.Fatal(err)
	}
	vb, _ := rev.MarshalBinary()
	_ = a.Relay(call, vb)
	rel := expect(t, b, signaling.TypeRelay)
	var v e2ee.Reveal
	if err := v.UnmarshalBinary(rel.Data); err != nil {
		t.Fatal(err)
	}
	sb, err := callee.Finish(&v)
	if err != nil {
		t.Fatal(err)
	}
	return sa, sb
}
