package netem

import (
	"net"
	"testing"
	"time"

	"github.com/pion/transport/v5/stdnet"
)

// cutPair returns two loopback UDP sockets, a through cut and b plain, and a channel of what a
// reads (a reader goroutine runs until a closes).
func cutPair(t *testing.T, cut *Cut) (a net.PacketConn, b net.PacketConn, got <-chan string) {
	t.Helper()
	var err error
	if a, err = cut.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	inner, err := stdnet.NewNet()
	if err != nil {
		t.Fatal(err)
	}
	if b, err = inner.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	ch := make(chan string, 16)
	go func() {
		buf := make([]byte, 64)
		for {
			n, _, err := a.ReadFrom(buf)
			if err != nil {
				close(ch)
				return
			}
			ch <- string(buf[:n])
		}
	}()
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b, ch
}

func recv(t *testing.T, got <-chan string) string {
	t.Helper()
	select {
	case s := <-got:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received in 5 s")
	}
	return ""
}

// waitDropped polls until cut has dropped n datagrams (bounded).
func waitDropped(t *testing.T, cut *Cut, n int64) {
	t.Helper()
	for start := time.Now(); cut.Dropped() < n; time.Sleep(5 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("dropped %d datagrams, want %d", cut.Dropped(), n)
		}
	}
}

func TestCutBothWays(t *testing.T) {
	inner, err := stdnet.NewNet()
	if err != nil {
		t.Fatal(err)
	}
	cut := NewCut(inner, CutConfig{})
	a, b, got := cutPair(t, cut)
	if _, err := b.WriteTo([]byte("before"), a.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if s := recv(t, got); s != "before" {
		t.Fatalf("got %q", s)
	}
	cut.Cut()
	if !cut.Active() {
		t.Error("not active after Cut")
	}
	// Inbound: dropped while reading. Outbound: dropped on write, and the write succeeds.
	if _, err := b.WriteTo([]byte("in"), a.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	waitDropped(t, cut, 1)
	if n, err := a.WriteTo([]byte("out"), b.LocalAddr()); err != nil || n != 3 {
		t.Fatalf("write while cut: %d, %v", n, err)
	}
	if cut.Dropped() != 2 {
		t.Errorf("dropped %d, want 2", cut.Dropped())
	}
	cut.Restore()
	if _, err := b.WriteTo([]byte("after"), a.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if s := recv(t, got); s != "after" {
		t.Errorf("after Restore got %q, want the new datagram (the cut ones are gone)", s)
	}
	_ = b.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 16)
	if n, _, err := b.ReadFrom(buf); err == nil {
		t.Errorf("the datagram written while cut arrived: %q", buf[:n])
	}
}

func TestCutPeerInboundOnly(t *testing.T) {
	inner, err := stdnet.NewNet()
	if err != nil {
		t.Fatal(err)
	}
	other := NewCut(inner, CutConfig{Peer: net.ParseIP("192.0.2.1")})
	a, b, got := cutPair(t, other)
	other.Cut()
	if _, err := b.WriteTo([]byte("not that peer"), a.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if s := recv(t, got); s != "not that peer" || other.Dropped() != 0 {
		t.Errorf("a cut limited to another peer dropped %q (%d dropped)", s, other.Dropped())
	}

	in := NewCut(inner, CutConfig{Peer: net.ParseIP("127.0.0.1"), InboundOnly: true})
	a, b, got = cutPair(t, in)
	in.Cut()
	if _, err := a.WriteTo([]byte("out"), b.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	_ = b.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 16)
	if n, _, err := b.ReadFrom(buf); err != nil || string(buf[:n]) != "out" {
		t.Errorf("inbound-only cut: write gave %q, %v", buf[:n], err)
	}
	if _, err := b.WriteTo([]byte("in"), a.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	waitDropped(t, in, 1)
	in.Restore()
	if _, err := b.WriteTo([]byte("back"), a.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if s := recv(t, got); s != "back" {
		t.Errorf("got %q", s)
	}
}
