package engine

import (
	"context"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/transport/v5"

	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/internal/natlab"
	"github.com/parley-voice/parley/internal/netem"
)

// TestLossyLinkRecovers sends speech-like audio with RED depth 1 and FEC to a peer whose
// incoming link loses 10 % of packets in bursts (Gilbert–Elliott, mean burst 2): audio keeps
// flowing, RED is negotiated, and the receiver's recovery and concealment counters move.
func TestLossyLinkRecovers(t *testing.T) {
	base := runtime.NumGoroutine()
	l, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	lossy, err := netem.NewNet(cb.Net, netem.NetConfig{
		Ingress: netem.LinkConfig{Loss: netem.LossConfig{Model: netem.LossGilbertElliott, Rate: 0.10, MeanBurst: 2}},
		Seed:    1,
	})
	if err != nil {
		t.Fatal(err)
	}
	cb.Net = lossy
	ca.Source = &audio.Tone{FrequencyHz: 300, Amplitude: 0.3}
	ca.REDDepth = 1
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	a, b := connect(t, ctx, ca, cb)
	waitState(t, ctx, b, StateConnected)
	deadline := time.Now().Add(20 * time.Second)
	var st Stats
	for time.Now().Before(deadline) {
		st = b.Stats()
		if st.Receive.FramesDecoded >= 100 && st.Receive.PacketsLost > 0 && st.Receive.FramesRecoveredRED > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	r := st.Receive
	t.Logf("bob: decoded %d, lost %d, recovered RED %d FEC %d, concealed %d samples; alice RED=%v: %+v",
		r.FramesDecoded, r.PacketsLost, r.FramesRecoveredRED, r.FramesRecoveredFEC, r.ConcealedSamples, a.Stats().Send.RED, lossy.IngressStats())
	if r.FramesDecoded < 100 || r.PacketsLost == 0 || r.FramesRecoveredRED == 0 {
		t.Errorf("want audio flowing with losses recovered by RED: %+v", r)
	}
	hangup(t, a)
	<-b.Done()
	_ = lossy.Close()
	_ = l.Close()
	waitGoroutines(t, base, 10*time.Second)
}

// TestPeerVanishes cuts bob off the network mid-call without a word: alice must show
// "reconnecting" and then end the call with ReasonPeerLost within 10 s.
func TestPeerVanishes(t *testing.T) {
	base := runtime.NumGoroutine()
	l, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	hole := &blackhole{Net: cb.Net}
	cb.Net = hole
	ca.DisconnectTimeout = 4 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	a, b := connect(t, ctx, ca, cb)
	waitState(t, ctx, a, StateConnected)
	waitState(t, ctx, b, StateConnected)
	cut := time.Now()
	hole.cut.Store(true)
	waitState(t, ctx, a, StateReconnecting)
	ev := waitState(t, ctx, a, StateEnded)
	gone := time.Since(cut)
	if ev.Reason != ReasonPeerLost || gone > 10*time.Second {
		t.Errorf("alice's call ended %v after the cut with %v, want %v within 10 s", gone, ev, ReasonPeerLost)
	}
	t.Logf("alice: %v, %v after the cut", ev, gone.Round(time.Millisecond))
	hangup(t, b)
	_ = l.Close()
	waitGoroutines(t, base, 10*time.Second)
}

// blackhole is a transport.Net whose sockets silently drop every datagram, both ways, once cut
// — or, with only set, just the datagrams to and from that IP address.
type blackhole struct {
	transport.Net
	cut     atomic.Bool
	only    net.IP
	dropped atomic.Int64
	// inOnly drops only what arrives (the peer's direction), letting writes through.
	inOnly bool
}

// drops reports whether a datagram to or from addr is dropped now.
func (h *blackhole) drops(addr net.Addr) bool {
	if !h.cut.Load() {
		return false
	}
	if h.only == nil {
		return true
	}
	ua, ok := addr.(*net.UDPAddr)
	d := ok && ua.IP.Equal(h.only)
	if d {
		h.dropped.Add(1)
	}
	return d
}

func (h *blackhole) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := h.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	return &holeUDP{UDPConn: c, h: h}, nil
}

func (h *blackhole) DialUDP(network string, laddr, raddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := h.Net.DialUDP(network, laddr, raddr)
	if err != nil {
		return nil, err
	}
	return &holeUDP{UDPConn: c, h: h}, nil
}

func (h *blackhole) ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := h.Net.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	return &holePacket{PacketConn: c, h: h}, nil
}

type holeUDP struct {
	transport.UDPConn
	h *blackhole
}

func (c *holeUDP) WriteTo(b []byte, addr net.Addr) (int, error) {
	if !c.h.inOnly && c.h.drops(addr) {
		return len(b), nil
	}
	return c.UDPConn.WriteTo(b, addr)
}

func (c *holeUDP) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	if !c.h.inOnly && c.h.drops(addr) {
		return len(b), nil
	}
	return c.UDPConn.WriteToUDP(b, addr)
}

func (c *holeUDP) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, a, err := c.UDPConn.ReadFrom(b)
		if err != nil || !c.h.drops(a) {
			return n, a, err
		}
	}
}

func (c *holeUDP) ReadFromUDP(b []byte) (int, *net.UDPAddr, error) {
	for {
		n, a, err := c.UDPConn.ReadFromUDP(b)
		if err != nil || !c.h.drops(a) {
			return n, a, err
		}
	}
}

func (c *holeUDP) ReadMsgUDP(b, oob []byte) (int, int, int, *net.UDPAddr, error) {
	for {
		n, oobn, flags, a, err := c.UDPConn.ReadMsgUDP(b, oob)
		if err != nil || !c.h.drops(a) {
			return n, oobn, flags, a, err
		}
	}
}

func (c *holeUDP) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (int, int, error) {
	if !c.h.inOnly && c.h.drops(addr) {
		return len(b), len(oob), nil
	}
	return c.UDPConn.WriteMsgUDP(b, oob, addr)
}

func (c *holeUDP) Read(b []byte) (int, error) {
	for {
		n, err := c.UDPConn.Read(b)
		if err != nil || !c.h.drops(c.RemoteAddr()) {
			return n, err
		}
	}
}

func (c *holeUDP) Write(b []byte) (int, error) {
	if !c.h.inOnly && c.h.drops(c.RemoteAddr()) {
		return len(b), nil
	}
	return c.UDPConn.Write(b)
}

type holePacket struct {
	net.PacketConn
	h *blackhole
}

func (c *holePacket) WriteTo(b []byte, addr net.Addr) (int, error) {
	if !c.h.inOnly && c.h.drops(addr) {
		return len(b), nil
	}
	return c.PacketConn.WriteTo(b, addr)
}

func (c *holePacket) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, a, err := c.PacketConn.ReadFrom(b)
		if err != nil || !c.h.drops(a) {
			return n, a, err
		}
	}
}

// TestPathFailover cuts the direct path between alice and bob mid-call while the TURN server
// stays reachable: the caller restarts ICE, the media moves through the relay and audio flows
// again without the call ending. It logs the audio gap.
func TestPathFailover(t *testing.T) {
	t.Run("both-ways", func(t *testing.T) { testPathFailover(t, false) })
	// Only alice → bob dies: alice still hears bob, so it is bob, the callee, who notices and
	// asks alice to restart.
	t.Run("one-way", func(t *testing.T) { testPathFailover(t, true) })
}

func testPathFailover(t *testing.T, oneWay bool) {
	base := runtime.NumGoroutine()
	l, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	alice, _ := l.Peer("alice")
	hole := &blackhole{Net: cb.Net, only: alice.PublicIP, inOnly: oneWay}
	cb.Net = hole
	ca.Source = &audio.Tone{FrequencyHz: 440, Amplitude: 0.3}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	a, b := connect(t, ctx, ca, cb)
	waitState(t, ctx, b, StateConnected)
	waitAudio(t, b, b, 25)
	if p := b.Stats().Path; p.Relayed() {
		t.Fatalf("path before the cut is %v, want direct", p)
	}
	hole.cut.Store(true)
	cut := time.Now()
	frames := b.Stats().Receive.FramesDecoded
	if oneWay {
		waitState(t, ctx, b, StateReconnecting)
	} else {
		waitState(t, ctx, a, StateReconnecting)
	}
	// Audio is back when bob decodes a frame that arrived after the cut (the buffer holds at
	// most a few frames from before it, played within its 20-40 ms delay).
	var back time.Duration
	for back == 0 {
		if st := b.Stats(); st.Receive.FramesDecoded >= frames+5 {
			back = time.Since(cut)
			break
		}
		if ctx.Err() != nil || a.State() == StateEnded {
			t.Fatalf("audio did not come back (alice %v)", a.State())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !oneWay {
		waitState(t, ctx, a, StateConnected)
	}
	if n := a.Stats().ICERestarts; n == 0 {
		t.Error("no ICE restart")
	}
	// pion reports the new selected pair a little after media moved.
	for deadline := time.Now().Add(5 * time.Second); !a.Stats().Path.Relayed() && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if p := a.Stats().Path; !p.Relayed() {
		t.Errorf("path after recovery %v (%s → %s), want a relay", p, p.LocalAddr, p.RemoteAddr)
	}
	if back > 6*time.Second {
		t.Errorf("audio back only %v after the cut", back)
	}
	t.Logf("audio back %v after the cut (%d datagrams dropped); reported path %v", back.Round(time.Millisecond), hole.dropped.Load(), a.Stats().Path)
	hangup(t, a)
	<-b.Done()
	_ = l.Close()
	waitGoroutines(t, base, 10*time.Second)
}
