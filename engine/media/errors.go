package media

import "errors"

// Sentinel errors. Errors returned by this package are one of these or wrap one (test with
// errors.Is); every message begins with "media: ".
var (
	// ErrConfig reports an invalid setting or configuration; the text names it.
	ErrConfig = errors.New("media: invalid configuration")

	// ErrProtocol reports a malformed message from the peer (arrival feedback, an RTP packet).
	ErrProtocol = errors.New("media: malformed message")

	// ErrNotSent is returned by a PacketWriter that could not send a packet for a reason that
	// is not a failure (the track is not bound yet, RED was not negotiated).
	ErrNotSent = errors.New("media: packet not sent")
)
