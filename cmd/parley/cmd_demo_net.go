package main

import (
	"net"
	"sync/atomic"

	"github.com/pion/transport/v5"
)

// demoCut is a transport.Net whose sockets, once cut, silently drop every datagram to and from
// one IP address (the peer's direct address): the simulated network change of the live demo.
// The TURN server stays reachable, so the call must move to the relay.
type demoCut struct {
	transport.Net
	peer    net.IP
	cut     atomic.Bool
	dropped atomic.Int64
}

func (h *demoCut) drops(addr net.Addr) bool {
	if !h.cut.Load() {
		return false
	}
	ua, ok := addr.(*net.UDPAddr)
	d := ok && ua.IP.Equal(h.peer)
	if d {
		h.dropped.Add(1)
	}
	return d
}

func (h *demoCut) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := h.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	return &cutUDP{UDPConn: c, h: h}, nil
}

func (h *demoCut) DialUDP(network string, laddr, raddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := h.Net.DialUDP(network, laddr, raddr)
	if err != nil {
		return nil, err
	}
	return &cutUDP{UDPConn: c, h: h}, nil
}

func (h *demoCut) ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := h.Net.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	return &cutPacket{PacketConn: c, h: h}, nil
}

type cutUDP struct {
	transport.UDPConn
	h *demoCut
}

func (c *cutUDP) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.h.drops(addr) {
		return len(b), nil
	}
	return c.UDPConn.WriteTo(b, addr)
}

func (c *cutUDP) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	if c.h.drops(addr) {
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
	if c.h.drops(addr) {
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
	if c.h.drops(c.RemoteAddr()) {
		return len(b), nil
	}
	return c.UDPConn.Write(b)
}

type cutPacket struct {
	net.PacketConn
	h *demoCut
}

func (c *cutPacket) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.h.drops(addr) {
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
