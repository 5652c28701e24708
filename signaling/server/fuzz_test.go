package server

import (
	"bytes"
	"testing"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling"
)

// FuzzSessionFrames drives two detached sessions of one server with arbitrary frame sequences
// (lines of JSON, each prefixed by 'a' or 'b' for the sending session). Whatever clients send,
// the server must not panic or deadlock, and must keep its bookkeeping consistent.
func FuzzSessionFrames(f *testing.F) {
	var call e2ee.CallID
	call[0] = 1
	cs := call.String()
	seeds := []string{
		"a" + `{"v":1,"type":"invite","seq":1,"call":"` + cs + `","user":"bob","data":"AQ=="}` + "\n" +
			"b" + `{"v":1,"type":"accept","seq":1,"call":"` + cs + `","data":"Ag=="}` + "\n" +
			"a" + `{"v":1,"type":"relay","seq":2,"call":"` + cs + `","data":"Aw=="}` + "\n" +
			"b" + `{"v":1,"type":"hangup","seq":2,"call":"` + cs + `"}`,
		"a" + `{"v":1,"type":"invite","seq":1,"call":"` + cs + `","user":"bob","data":"AQ=="}` + "\n" +
			"a" + `{"v":1,"type":"cancel","seq":2,"call":"` + cs + `"}` + "\n" +
			"b" + `{"v":1,"type":"decline","seq":1,"call":"` + cs + `"}`,
		"b" + `{"v":1,"type":"ack","ack":99}` + "\n" + "a" + `{"v":1,"type":"turn"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		clk := newFakeClock()
		srv, err := New(Config{Clock: clk, Limits: Limits{InvitesPerSec: -1, MessagesPerSec: -1, UserInvitesPerSec: -1, UserMessagesPerSec: -1}})
		if err != nil {
			t.Fatal(err)
		}
		a := fuzzSession(t, srv, "alice")
		b := fuzzSession(t, srv, "bob")
		for _, line := range bytes.Split(in, []byte("\n")) {
			if len(line) < 2 {
				continue
			}
			fr, err := signaling.Decode(line[1:])
			if err != nil {
				continue
			}
			if line[0] == 'a' {
				a.handle(fr)
			} else {
				b.handle(fr)
			}
		}
		clk.Advance(srv.cfg.RingTimeout) // ring timers fire into whatever state is left
		a.expire(false)
		b.expire(false)
		if n := srv.m.sessions.Load(); n != 0 {
			t.Fatalf("%d sessions left", n)
		}
		if len(srv.users) != 0 || len(srv.sessIP) != 0 {
			t.Fatalf("users left: %v", srv.users)
		}
	})
}

// fuzzSession registers a detached session for user (as after a dropped connection).
func fuzzSession(t *testing.T, s *Server, user string) *session {
	t.Helper()
	k, err := e2ee.NewIdentityKey(bytes.Repeat([]byte(user[:1]), e2ee.IdentitySeedSize))
	if err != nil {
		t.Fatal(err)
	}
	ue := &userEntry{name: user, devices: make(map[string]*session), ready: make(chan struct{}),
		invites: s.newLimiter(-1), msgs: s.newLimiter(-1), inbound: s.inboundLimiter()}
	sub, err := s.broker.Subscribe(userSubject(user), s.onRoute)
	if err != nil {
		t.Fatal(err)
	}
	ue.sub = sub
	close(ue.ready)
	ss := newSession(s, ue, "dev", k.Public())
	ss.ipKey = "192.0.2.1"
	s.sessIP[ss.ipKey]++
	ue.devices["dev"] = ss
	s.users[user] = ue
	s.m.sessions.Add(1)
	return ss
}
