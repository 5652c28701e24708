package echo

import "errors"

// ErrOptions is returned by Run for options out of range (named in the message).
var ErrOptions = errors.New("echo: bad options")
