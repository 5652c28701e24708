package jitter

import "errors"

// Sentinel errors. Push wraps them with detail; test with errors.Is. Whatever Push returns, the
// packet has been accounted for in Stats.
var (
	// ErrConfig is returned by New for a Config field out of range.
	ErrConfig = errors.New("jitter: bad config")
	// ErrMalformed is returned by Push for a payload that cannot be played: a RED payload that
	// does not parse (RFC 2198), an empty or oversized payload, or an Opus packet whose TOC
	// byte does not describe a valid packet. The packet is counted in PacketsMalformed and
	// dropped.
	ErrMalformed = errors.New("jitter: malformed packet")
	// ErrLate is returned by Push for a packet whose audio was already played out (or
	// concealed). It is counted in PacketsDiscarded; its delay still feeds the estimator.
	ErrLate = errors.New("jitter: late packet")
	// ErrDuplicate is returned by Push for a sequence number already received. It is counted in
	// PacketsDuplicated.
	ErrDuplicate = errors.New("jitter: duplicate packet")
	// ErrFull is returned by Push when every packet slot is taken (Config.Capacity). The packet
	// is counted in PacketsDiscarded.
	ErrFull = errors.New("jitter: buffer full")
)
