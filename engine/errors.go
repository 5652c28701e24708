package engine

import "errors"

// Sentinel errors. Errors returned by this package are one of these or wrap one (test with
// errors.Is); every message begins with "engine: ".
var (
	// ErrConfig reports an invalid Config field or argument; the text names it.
	ErrConfig = errors.New("engine: invalid configuration")

	// ErrProtocol reports a message from the peer that breaks the call protocol: a malformed
	// agreement message or envelope, an unexpected message kind, an envelope that does not
	// open. The call is ended.
	ErrProtocol = errors.New("engine: protocol violation by peer")

	// ErrKeyChanged reports a peer whose identity key differs from the key the user verified
	// by SAS; the call ends with ReasonKeyChanged.
	ErrKeyChanged = errors.New("engine: peer's identity key differs from the verified key")

	// ErrNotKeyed reports a request (SAS, Verify) made before the key agreement completed.
	ErrNotKeyed = errors.New("engine: key agreement not complete")

	// ErrEnded reports use of a call that has ended.
	ErrEnded = errors.New("engine: call ended")

	// ErrMedia wraps a failure of the media stack (pion) while setting the call up.
	ErrMedia = errors.New("engine: media setup failed")

	// ErrSignal wraps a failure of the signaling channel (Signal.Send or Recv).
	ErrSignal = errors.New("engine: signaling failed")

	// ErrClosed is returned by a Pipe end after it was closed.
	ErrClosed = errors.New("engine: signal closed")
)
