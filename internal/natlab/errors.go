package natlab

import "errors"

// Sentinel errors. Errors returned by this package wrap one of these where
// the cause is one of the listed conditions; test with errors.Is.
var (
	// ErrNoPeers is returned by New when Config.Peers is empty.
	ErrNoPeers = errors.New("natlab: config has no peers")

	// ErrTooManyPeers is returned by New when Config.Peers has more than
	// MaxPeers entries.
	ErrTooManyPeers = errors.New("natlab: too many peers")

	// ErrDuplicatePeer is returned by New when two peers share a name.
	ErrDuplicatePeer = errors.New("natlab: duplicate peer name")

	// ErrUnknownNAT is returned by New for a PeerConfig.NAT value that is
	// not one of the declared NAT constants.
	ErrUnknownNAT = errors.New("natlab: unknown NAT kind")

	// ErrBadBehavior is returned by New for a PeerConfig whose Mapping or
	// Filtering is out of range, or set on a kind other than CustomNAT.
	ErrBadBehavior = errors.New("natlab: bad NAT mapping/filtering behaviour")

	// ErrNegativeDuration is returned by New for a negative Config.WANDelay
	// or Config.CredentialTTL; the message names the field.
	ErrNegativeDuration = errors.New("natlab: negative duration")

	// ErrUnknownPeer is returned by Lab.Peer for a name not in the lab.
	ErrUnknownPeer = errors.New("natlab: unknown peer")

	// ErrNoTCPRoute is returned when a peer dials TCP anywhere but the TURN
	// server: vnet has no TCP, and natlab emulates only that one stream path.
	ErrNoTCPRoute = errors.New("natlab: no TCP route (vnet has no TCP; only the TURN server is reachable)")

	// ErrClosed is returned by operations on a closed lab.
	ErrClosed = errors.New("natlab: lab closed")
)
