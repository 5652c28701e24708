package line

import "errors"

// Sentinel errors; every error of this package is one of them or wraps one (test with
// errors.Is). Errors of the signaling client are passed through unchanged.
var (
	// ErrClosed is returned by Signal methods after the Line closed or its client stopped.
	ErrClosed = errors.New("line: closed")
	// ErrConfig reports an invalid argument (a bad user name, an unknown message kind).
	ErrConfig = errors.New("line: invalid argument")
)
