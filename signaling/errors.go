package signaling

import "errors"

// Sentinel errors. Errors returned by this package are one of these or wrap one (test with
// errors.Is). All messages begin with "signaling: ".
var (
	// ErrTooLarge reports a frame above MaxFrameSize or data above MaxDataSize.
	ErrTooLarge = errors.New("signaling: frame too large")

	// ErrMalformed reports a frame that is not valid JSON for a Frame, has unknown fields or
	// trailing data, or carries an invalid field value (bad user name, call ID, ...).
	ErrMalformed = errors.New("signaling: malformed frame")

	// ErrVersion reports a frame of a protocol version this implementation does not speak.
	ErrVersion = errors.New("signaling: unsupported protocol version")

	// ErrUnknownType reports a frame whose type is not part of the protocol.
	ErrUnknownType = errors.New("signaling: unknown frame type")

	// ErrMissingField reports a frame lacking a field its type requires.
	ErrMissingField = errors.New("signaling: missing required field")

	// ErrAuth reports a failed login: a bad signature, or a user name bound to another key.
	ErrAuth = errors.New("signaling: authentication failed")

	// ErrRejected reports an error frame sent by the server in answer to a request; the
	// wrapping text carries the server's code.
	ErrRejected = errors.New("signaling: rejected by server")

	// ErrClosed reports use of a Client after Close, or a session the server ended.
	ErrClosed = errors.New("signaling: client closed")

	// ErrSessionLost reports that the server no longer had the session when the client came
	// back (the grace period expired); queued messages of that session are gone.
	ErrSessionLost = errors.New("signaling: session lost")

	// ErrQueueFull reports that too many frames are waiting for acknowledgement.
	ErrQueueFull = errors.New("signaling: send queue full")

	// ErrConfig reports an invalid configuration or argument.
	ErrConfig = errors.New("signaling: invalid configuration")

	// ErrTURNCredential reports a TURN REST username or password that is malformed or expired.
	ErrTURNCredential = errors.New("signaling: invalid TURN credential")
)
