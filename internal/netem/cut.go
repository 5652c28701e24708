package netem

import (
	"net"
	"sync/atomic"

	"github.com/pion/transport/v5"
)

// CutConfig configures a Cut.
type CutConfig struct {
	// Peer, when set, limits the cut to datagrams to and from this IP address (a peer's direct
	// address, say, while a TURN server stays reachable). Nil cuts every datagram.
	Peer net.IP
	// InboundOnly drops only what the sockets read (the peer's direction), letting writes
	// through: a one-way outage.
	InboundOnly bool
}

// Cut is a transport.Net whose UDP sockets, while cut, silently drop datagrams (all of them, or
// those to and from CutConfig.Peer; both ways, or inbound only): a network change or outage for
// tests and the demo. Until Cut is called it passes everything through; Restore lifts the cut.
// TCP and everything else pass through unimpaired. Safe for concurrent use.
type Cut struct {
	transport.Net
	cfg     CutConfig
	cut     atomic.Bool
	dropped atomic.Int64
}

// NewCut wraps inner (stdnet, a vnet.Net, a netem Net, ...).
func NewCut(inner transport.Net, cfg CutConfig) *Cut { return &Cut{Net: inner, cfg: cfg} }

// Cut starts dropping.
func (h *Cut) Cut() { h.cut.Store(true) }

// Restore stops dropping.
func (h *Cut) Restore() { h.cut.Store(false) }

// Active reports whether the cut is in force.
func (h *Cut) Active() bool { return h.cut.Load() }

// Dropped is the number of datagrams dropped so far.
func (h *Cut) Dropped() int64 { return h.dropped.Load() }

// drops reports whether a datagram to or from addr is dropped now, and counts it.
func (h *Cut) drops(addr net.Addr) bool {
	if !h.cut.Load() {
		return false
	}
	if h.cfg.Peer != nil {
		ua, ok := addr.(*net.UDPAddr)
		if !ok || !ua.IP.Equal(h.cfg.Peer) {
			return false
		}
	}
	h.dropped.Add(1)
	return true
}

// dropsOut is drops for a datagram written.
func (h *Cut) dropsOut(addr net.Addr) bool { return !h.cfg.InboundOnly && h.drops(addr) }

// ListenUDP implements transport.Net.
func (h *Cut) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := h.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	return &cutUDP{UDPConn: c, h: h}, nil
}

// DialUDP implements transport.Net.
func (h *Cut) DialUDP(network string, laddr, raddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := h.Net.DialUDP(network, laddr, raddr)
	if err != nil {
		return nil, err
	}
	return &cutUDP{UDPConn: c, h: h}, nil
}

// ListenPacket implements transport.Net.
func (h *Cut) ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := h.Net.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	return &cutPacket{PacketConn: c, h: h}, nil
}

type cutUDP struct {
	transport.UDPConn
	h *Cut
}

func (c *cutUDP) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.h.dropsOut(addr) {
		return len(b), nil
	}
	return c.UDPConn.WriteTo(b, addr)
}

func (c *cutUDP) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	if c.h.dropsOut(addr) {
		return len(b), nil
	}
	return c.UDPConn.WriteToUDP(b, addr)
}

func (c *cutUDP) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, a, err := c.UDPConn.ReadFrom(b)
		if err != nil || !c.h.drops(a) {
			return n, a, err
		}
	}
}

func (c *cutUDP) ReadFromUDP(b []byte) (int, *net.UDPAddr, error) {
	for {
		n, a, err := c.UDPConn.ReadFromUDP(b)
		if err != nil || !c.h.drops(a) {
			return n, a, err
		}
	}
}

func (c *cutUDP) ReadMsgUDP(b, oob []byte) (int, int, int, *net.UDPAddr, error) {
	for {
		n, oobn, flags, a, err := c.UDPConn.ReadMsgUDP(b, oob)
		if err != nil || !c.h.drops(a) {
			return n, oobn, flags, a, err
		}
	}
}

func (c *cutUDP) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (int, int, error) {
	if c.h.dropsOut(addr) {
		return len(b), len(oob), nil
	}
	return c.UDPConn.WriteMsgUDP(b, oob, addr)
}

func (c *cutUDP) Read(b []byte) (int, error) {
	for {
		n, err := c.UDPConn.Read(b)
		if err != nil || !c.h.drops(c.RemoteAddr()) {
			return n, err
		}
	}
}

func (c *cutUDP) Write(b []byte) (int, error) {
	if c.h.dropsOut(c.RemoteAddr()) {
		return len(b), nil
	}
	return c.UDPConn.Write(b)
}

type cutPacket struct {
	net.PacketConn
	h *Cut
}

func (c *cutPacket) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.h.dropsOut(addr) {
		return len(b), nil
	}
	return c.PacketConn.WriteTo(b, addr)
}

func (c *cutPacket) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, a, err := c.PacketConn.ReadFrom(b)
		if err != nil || !c.h.drops(a) {
			return n, a, err
		}
	}
}
