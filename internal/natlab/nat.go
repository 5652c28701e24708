package natlab

import (
	"fmt"

	"github.com/pion/transport/v5/vnet"
)

// NAT is the kind of network attachment of a peer: no NAT, one of the four
// classic NAT kinds named after their RFC 4787 mapping and filtering
// behaviours, or a LAN from which UDP cannot leave. The zero value is NoNAT.
type NAT int

// NAT kinds. Mapping (RFC 4787 §4.1) decides whether one internal socket keeps
// the same external port for every destination; filtering (§5) decides which
// outside sources may send to that port.
const (
	// NoNAT is a public host attached to the WAN directly: its host
	// candidate is reachable by anyone.
	NoNAT NAT = iota
	// FullCone is endpoint-independent mapping and endpoint-independent
	// filtering: once mapped, anyone may send to the external port.
	FullCone
	// RestrictedCone is endpoint-independent mapping and address-dependent
	// filtering: an outside host may send once the inside socket has sent
	// to that host's IP address (any port).
	RestrictedCone
	// PortRestrictedCone is endpoint-independent mapping and
	// address-and-port-dependent filtering: an outside host may send only
	// from an address and port the inside socket has sent to.
	PortRestrictedCone
	// Symmetric is address-and-port-dependent mapping and filtering: each
	// destination gets a fresh external port, so the STUN-learned address
	// is useless to any other peer.
	Symmetric
	// UDPBlocked is a port-restricted NAT behind a firewall that drops all
	// UDP crossing the LAN boundary; only TURN over TCP gets out (see the
	// package doc for how TCP is emulated).
	UDPBlocked
	// CustomNAT is a NAT whose mapping and filtering are given by
	// PeerConfig.Mapping and PeerConfig.Filtering, for the RFC 4787
	// combinations the named kinds do not cover (e.g. address-dependent
	// mapping).
	CustomNAT

	numNATs // sentinel, keep last
)

// Behavior is an RFC 4787 mapping or filtering behaviour: on what part of
// the remote endpoint a NAT binding (§4.1) or an inbound filter (§5)
// depends. The zero value is EndpointIndependent.
type Behavior int

// Behaviours.
const (
	// EndpointIndependent: one binding for all destinations / any source
	// may send in.
	EndpointIndependent Behavior = iota
	// AddressDependent: one binding per destination IP / only IPs the
	// inside socket has sent to may send in.
	AddressDependent
	// AddressAndPortDependent: one binding per destination IP and port /
	// only exact IP:port pairs sent to may send in.
	AddressAndPortDependent
)

// String returns "EI", "AD" or "APD".
func (b Behavior) String() string {
	switch b {
	case EndpointIndependent:
		return "EI"
	case AddressDependent:
		return "AD"
	case AddressAndPortDependent:
		return "APD"
	default:
		return fmt.Sprintf("Behavior(%d)", int(b))
	}
}

func (b Behavior) valid() bool { return b >= EndpointIndependent && b <= AddressAndPortDependent }

func (b Behavior) vnet() vnet.EndpointDependencyType {
	switch b {
	case AddressDependent:
		return vnet.EndpointAddrDependent
	case AddressAndPortDependent:
		return vnet.EndpointAddrPortDependent
	default:
		return vnet.EndpointIndependent
	}
}

// AllNATs lists every named NAT kind (all but CustomNAT), in declaration
// order; the grid test uses it.
var AllNATs = []NAT{NoNAT, FullCone, RestrictedCone, PortRestrictedCone, Symmetric, UDPBlocked}

// String returns a short lowercase name ("full-cone", "symmetric", ...).
func (n NAT) String() string {
	switch n {
	case NoNAT:
		return "no-nat"
	case FullCone:
		return "full-cone"
	case RestrictedCone:
		return "restricted-cone"
	case PortRestrictedCone:
		return "port-restricted"
	case Symmetric:
		return "symmetric"
	case UDPBlocked:
		return "udp-blocked"
	case CustomNAT:
		return "custom"
	default:
		return fmt.Sprintf("NAT(%d)", int(n))
	}
}

// valid reports whether n is a declared kind.
func (n NAT) valid() bool { return n >= NoNAT && n < numNATs }

// vnetType returns the vnet NAT behaviour for n (pc supplies CustomNAT's);
// nil for NoNAT (no router).
func (n NAT) vnetType(pc PeerConfig) *vnet.NATType {
	var m, f vnet.EndpointDependencyType
	switch n {
	case CustomNAT:
		m, f = pc.Mapping.vnet(), pc.Filtering.vnet()
	case FullCone:
		m, f = vnet.EndpointIndependent, vnet.EndpointIndependent
	case RestrictedCone:
		m, f = vnet.EndpointIndependent, vnet.EndpointAddrDependent
	case PortRestrictedCone, UDPBlocked:
		m, f = vnet.EndpointIndependent, vnet.EndpointAddrPortDependent
	case Symmetric:
		m, f = vnet.EndpointAddrPortDependent, vnet.EndpointAddrPortDependent
	default:
		return nil
	}
	return &vnet.NATType{Mode: vnet.NATModeNormal, MappingBehavior: m, FilteringBehavior: f}
}
