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

	// ErrRegisterLimit reports a new name refused because its address registered too many
	// names recently (Limits.RegistrationsPerIPPerHour).
	ErrRegisterLimit = errors.New("signaling: server: too many new names from this address")

	// ErrSessionLimit reports a login refused because its address or user holds too many
	// sessions (Limits.MaxSessionsPerIP, Limits.MaxDevicesPerUser).
	ErrSessionLimit = errors.New("signaling: server: too many sessions")

	// ErrRegistry reports a registry store that is unreadable or holds a malformed binding.
	ErrRegistry = errors.New("signaling: server: registry")

	// ErrTCPRelay reports an RFC 6062 TCP relay allocation on a TURN server that does not
	// allow them (TURNServerConfig.TCPRelay).
	ErrTCPRelay = errors.New("signaling: server: TCP relay allocations disabled")

	// ErrClosed reports use of a Server after Close or Shutdown.
	ErrClosed = errors.New("signaling: server: closed")
)
