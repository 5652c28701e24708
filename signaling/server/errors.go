package server

import "errors"

// Sentinel errors. Errors returned by this package are one of these or wrap one.
var (
	// ErrConfig reports an invalid Config.
	ErrConfig = errors.New("signaling: server: invalid configuration")

	// ErrNoResponders reports a broker request nobody subscribes to: the user is offline.
	ErrNoResponders = errors.New("signaling: server: no responders")

	// ErrBrokerClosed reports use of a closed broker.
	ErrBrokerClosed = errors.New("signaling: server: broker closed")

	// ErrNameTaken reports a registration of a name already bound to another key.
	ErrNameTaken = errors.New("signaling: server: name bound to another identity")

	// ErrClosed reports use of a Server after Close or Shutdown.
	ErrClosed = errors.New("signaling: server: closed")
)
