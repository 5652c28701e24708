package main

import (
	"fmt"
	"net"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// demoHost is the real network (stdnet) seen from one address of the loopback range: its only
// interface carries ip (127.0.0.2 for alice, 127.0.0.3 for bob), and sockets asked to bind to an
// unspecified address bind to ip instead. Alice, bob and the signaling server's embedded TURN
// (127.0.0.1) thus talk over real UDP sockets in one process while each peer keeps an address of
// its own, which the demo's cut (netem.Cut with a Peer) can single out.
type demoHost struct {
	*stdnet.Net
	ip  net.IP
	ifc *transport.Interface
}

// newDemoHost returns the network of a host at ip, which must be a loopback address.
func newDemoHost(ip net.IP) (*demoHost, error) {
	if !ip.IsLoopback() || ip.To4() == nil {
		return nil, fmt.Errorf("demo: host address %v is not an IPv4 loopback address", ip)
	}
	std, err := stdnet.NewNet()
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	ifc := transport.NewInterface(net.Interface{Index: 1, MTU: 65536, Name: "lo", Flags: net.FlagUp | net.FlagLoopback})
	ifc.AddAddress(&net.IPNet{IP: ip, Mask: net.CIDRMask(8, 32)})
	return &demoHost{Net: std, ip: ip, ifc: ifc}, nil
}

func (h *demoHost) Interfaces() ([]*transport.Interface, error) {
	return []*transport.Interface{h.ifc}, nil
}

func (h *demoHost) InterfaceByIndex(index int) (*transport.Interface, error) {
	if index != h.ifc.Index {
		return nil, fmt.Errorf("%w: index=%d", transport.ErrInterfaceNotFound, index)
	}
	return h.ifc, nil
}

func (h *demoHost) InterfaceByName(name string) (*transport.Interface, error) {
	if name != h.ifc.Name {
		return nil, fmt.Errorf("%w: %s", transport.ErrInterfaceNotFound, name)
	}
	return h.ifc, nil
}

// bind returns laddr with an unspecified (or missing) IP replaced by the host's.
func (h *demoHost) bind(laddr *net.UDPAddr) *net.UDPAddr {
	if laddr == nil {
		return &net.UDPAddr{IP: h.ip}
	}
	if laddr.IP == nil || laddr.IP.IsUnspecified() {
		a := *laddr
		a.IP = h.ip
		return &a
	}
	return laddr
}

func (h *demoHost) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	return h.Net.ListenUDP(udp4(network), h.bind(laddr))
}

func (h *demoHost) DialUDP(network string, laddr, raddr *net.UDPAddr) (transport.UDPConn, error) {
	return h.Net.DialUDP(udp4(network), h.bind(laddr), raddr)
}

func (h *demoHost) ListenPacket(network, address string) (net.PacketConn, error) {
	if !isUDPNetwork(network) {
		return h.Net.ListenPacket(network, address)
	}
	laddr, err := h.Net.ResolveUDPAddr(network, address)
	if err != nil {
		return nil, err
	}
	return h.ListenUDP(network, laddr)
}

// udp4 keeps "udp" sockets on IPv4: the host's address is IPv4.
func udp4(network string) string {
	if network == "udp" {
		return "udp4"
	}
	return network
}

func isUDPNetwork(n string) bool { return n == "udp" || n == "udp4" || n == "udp6" }
