package netem

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps one of them (test with errors.Is)
// and its message starts with "netem: " and names the offending field.
var (
	// ErrInvalidConfig: a LinkConfig field is out of range (negative delay, loss outside 0..1,
	// a zero burst length, two capacity sources at once, ...).
	ErrInvalidConfig = errors.New("invalid link configuration")
	// ErrInvalidTrace: a trace file could not be read or is malformed.
	ErrInvalidTrace = errors.New("invalid trace")
	// ErrUnknownProfile: Profile was asked for a name not in ProfileNames.
	ErrUnknownProfile = errors.New("unknown profile")
	// ErrClosed: the Net, connection or Proxy was closed.
	ErrClosed = errors.New("closed")
)

// fieldError names the field at fault and wraps a sentinel.
type fieldError struct {
	sentinel error
	field    string
	msg      string
}

func (e *fieldError) Error() string {
	return fmt.Sprintf("netem: %s: %s (%v)", e.field, e.msg, e.sentinel)
}

func (e *fieldError) Unwrap() error { return e.sentinel }

func configErr(field, format string, a ...any) error {
	return &fieldError{sentinel: ErrInvalidConfig, field: field, msg: fmt.Sprintf(format, a...)}
}

func traceErr(field, format string, a ...any) error {
	return &fieldError{sentinel: ErrInvalidTrace, field: field, msg: fmt.Sprintf(format, a...)}
}
