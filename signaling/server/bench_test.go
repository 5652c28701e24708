package server

import (
	"testing"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling"
)

// BenchmarkCallSetup measures one invite → accept → hang-up round trip through a real server
// over loopback WebSockets (client and server costs together).
func BenchmarkCallSetup(b *testing.B) {
	srv, err := New(Config{Limits: Limits{InvitesPerSec: -1, MessagesPerSec: -1, UserInvitesPerSec: -1, UserMessagesPerSec: -1}})
	if err != nil {
		b.Fatal(err)
	}
	ts := serveBench(b, srv)
	a := dialBench(b, ts, "alice")
	c := dialBench(b, ts, "bob")
	commit := make([]byte, e2ee.CommitSize)
	resp := make([]byte, e2ee.ResponseSize)
	b.ReportAllocs()
	for b.Loop() {
		call, _ := e2ee.NewCallID(nil)
		_ = a.Invite(call, "bob", commit)
		waitType(b, c, signaling.TypeIncoming)
		_ = c.Accept(call, resp)
		waitType(b, a, signaling.TypeAccepted)
		waitType(b, c, signaling.TypeConnected)
		_ = a.Hangup(call)
		waitType(b, c, signaling.TypeHangup)
	}
}

func waitType(b *testing.B, c *signaling.Client, typ signaling.Type) {
	for f := range c.Events() {
		if f.Type == typ {
			return
		}
	}
	b.Fatal("events closed")
}
