// Package natlab builds in-process network labs on pion's virtual network
// (github.com/pion/transport/v5/vnet) for engine tests: a WAN, one LAN per
// peer behind a NAT of a chosen RFC 4787 kind (or none, or a firewall that
// drops all UDP), and an in-process STUN/TURN server (pion/turn/v5) on the WAN
// with time-limited long-term credentials in the coturn REST format.
//
// A test builds a lab, hands each peer's [Peer.Net] to pion (ice.AgentConfig.Net
// or webrtc.SettingEngine.SetNet) together with [Peer.URLs], and closes the lab
// when done:
//
//	lab, err := natlab.New(natlab.Config{Peers: []natlab.PeerConfig{
//		{Name: "alice", NAT: natlab.Symmetric},
//		{Name: "bob", NAT: natlab.FullCone},
//	}})
//	...
//	defer lab.Close()
//
// # Topology
//
// The WAN is a vnet router for 0.0.0.0/0. The STUN/TURN server lives at
// [ServerIP] on it. Peer i (0-based) owns public address 198.51.100.(i+1);
// behind a NAT it sits at 10.0.(i+1).2 on its own LAN router whose NAT maps to
// that public address, with [NoNAT] it sits on the WAN at the public address.
//
// # UDP blocked and TURN over TCP
//
// vnet has no TCP: vnet.Net's DialTCP and ListenTCP return
// transport.ErrNotSupported. natlab therefore provides one TCP path of its
// own: every peer's Net can DialTCP the TURN server's TCP address
// ([ServerIP]:[TURNPort]), and the connection is an in-memory stream handed
// straight to the TURN server's TCP listener. It does not cross the vnet
// routers (no NAT translation, no router delay) and no other TCP destination
// exists. A [UDPBlocked] peer sits behind a port-restricted NAT whose LAN
// router drops every UDP datagram crossing the LAN boundary, so its only way
// out is TURN over TCP: a relay candidate whose allocation is reached by
// stream.
//
// # What connects how
//
// TestGrid connects two pion ICE agents across every pair of named kinds, in
// both roles, and asserts the selected pair's path. Expected, from RFC 4787
// semantics (the reasoning per cell is at expect in grid_test.go):
//
//	               no-nat  full  restr  port  symm  blocked
//	no-nat         D       D     D      D     D     R
//	full-cone      D       D     D      D     D     R
//	restricted     D       D     D      D     D     R
//	port-restr     D       D     D      D     R     R
//	symmetric      D       D     D      R     R     R
//	udp-blocked    R       R     R      R     R     R      (D direct, R relay)
//
// The grid asserts the path class (a pair with a relay candidate on either
// side is relay) and, for a UDP-blocked peer, that its local candidate is a
// relay allocated over TCP. It does not assert exact candidate types of
// direct pairs: they vary run to run, because a check that arrives before
// the trickled candidate it comes from makes that remote peer-reflexive
// (pion/ice#622), and which of several valid pairs wins is a race.
//
// vnet matches theory in every cell. Its NAT differs from real ones in ways
// that do not change these outcomes: hairpinning and port preservation are
// not implemented (each peer has its own LAN here, so neither arises),
// external ports are allocated sequentially from 49152 (a symmetric NAT's
// next port is predictable, which ICE does not exploit), and bindings live
// 30 s after the last outbound packet.
//
// # Using it with pion
//
// Pion's ICE defaults are tuned for real networks, and a test on a loaded
// machine needs two of them changed (see ice_test.go): the relay
// acceptance wait must outlast hole punching (otherwise a relay pair can be
// nominated before a direct one validates), and MaxBindingRequests must
// cover that wait (pion fails a pair after 7 unanswered checks, which at a
// short CheckInterval can be before the peer's trickled candidates arrive).
//
// Labs are independent: many may run in parallel in one process. vnet's
// constructors share an unsynchronized counter (pion/transport v5.1.4,
// newMACAddress), so natlab serializes them; any other code in the process
// that calls vnet.NewNet or vnet.NewRouter concurrently with New still races.
package natlab
