package server

import (
	"net"
	"net/netip"
)

// deniedPrefixes are the peer ranges the embedded TURN server refuses to relay to unless
// TURNServerConfig.AllowPeers names them, the list coturn's documentation recommends for
// denied-peer-ip: a TURN credential must not become a door into the server's own host or the
// networks behind it (metadata services, NATS, the signaling node's /metrics).
var deniedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network", includes the unspecified address
	netip.MustParsePrefix("10.0.0.0/8"),     // RFC 1918
	netip.MustParsePrefix("100.64.0.0/10"),  // RFC 6598 carrier-grade NAT
	netip.MustParsePrefix("127.0.0.0/8"),    // loopback
	netip.MustParsePrefix("169.254.0.0/16"), // link-local (cloud metadata at 169.254.169.254)
	netip.MustParsePrefix("172.16.0.0/12"),  // RFC 1918
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("192.168.0.0/16"), // RFC 1918
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("224.0.0.0/4"),    // multicast
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, broadcast
	netip.MustParsePrefix("::/128"),         // unspecified
	netip.MustParsePrefix("::1/128"),        // loopback
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("100::/64"),       // discard-only
	netip.MustParsePrefix("fc00::/7"),       // unique local
	netip.MustParsePrefix("fe80::/10"),      // link-local
	netip.MustParsePrefix("fec0::/10"),      // site-local (deprecated)
	netip.MustParsePrefix("ff00::/8"),       // multicast
}

// peerFilter decides which peer addresses the TURN server relays to. The zero value denies
// the ranges above and allows everything else. Immutable after construction; safe for
// concurrent use.
type peerFilter struct {
	allow []netip.Prefix // checked first: explicitly allowed ranges
}

// permit reports whether relaying to ip is allowed. IPv4-mapped and IPv4-compatible IPv6
// forms and the well-known NAT64 prefix are judged by the IPv4 address they carry.
func (f peerFilter) permit(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return false
	}
	a = embeddedV4(a)
	for _, p := range f.allow {
		if p.Contains(a) {
			return true
		}
	}
	for _, p := range deniedPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// embeddedV4 returns the IPv4 address an IPv6 address carries (::ffff:a.b.c.d, ::a.b.c.d,
// 64:ff9b::a.b.c.d), or a unchanged.
func embeddedV4(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if !a.Is6() {
		return a
	}
	b := a.As16()
	compat := true
	for _, x := range b[:12] {
		if x != 0 {
			compat = false
			break
		}
	}
	if (compat && a != netip.IPv6Unspecified() && a != netip.IPv6Loopback()) || nat64.Contains(a) {
		return netip.AddrFrom4([4]byte(b[12:]))
	}
	return a
}
