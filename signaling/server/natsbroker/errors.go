package natsbroker

import "errors"

// ErrDisconnected reports a publish or request while the NATS connection is down. It is
// returned at once rather than after a timeout, so callers get an error, not silence. Other
// errors of this package wrap the NATS client's and begin with "signaling: natsbroker: ".
var ErrDisconnected = errors.New("signaling: natsbroker: NATS connection down")
