package engine

import (
	"fmt"
	"strings"
	"time"
)

// State is where a call is in its life. The zero value is StateSetup.
type State int

// Call states, in order. A call moves forward, except between StateConnected and
// StateReconnecting, which may alternate.
const (
	// StateSetup: the call exists; the invite is being sent or the answer computed.
	StateSetup State = iota
	// StateRinging: the callee is being alerted (caller side).
	StateRinging
	// StateConnecting: keys are agreed (the SAS is available); ICE and DTLS are running.
	StateConnecting
	// StateConnected: media flows.
	StateConnected
	// StateReconnecting: the path was lost (nothing arrives from the peer); ICE restarts look
	// for a new one. It lasts until packets arrive again (a StateConnected event with
	// Event.Outage set), or the call ends because the peer is gone.
	StateReconnecting
	// StateEnded: the call is over; Call.Reason says why.
	StateEnded
)

// String names the state.
func (s State) String() string {
	switch s {
	case StateSetup:
		return "setup"
	case StateRinging:
		return "ringing"
	case StateConnecting:
		return "connecting"
	case StateConnected:
		return "connected"
	case StateReconnecting:
		return "reconnecting"
	case StateEnded:
		return "ended"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Reason says why a call ended. The values are stable, machine-readable strings (they appear
// in logs and in the CLI's -stats json); the zero value means "not ended". They are (the
// Reason… constants; go doc -all shows each one's meaning):
//
//	hangup, remote_hangup                    a hang-up by this side or by the peer
//	unavailable, busy, no_answer, declined   the callee offline, in a call, not answering, refusing
//	cancelled, answered_elsewhere,           callee side: the caller gave up; another device of
//	declined_elsewhere                       this user answered or declined first
//	key_changed                              the peer's key is not the one the user verified
//	timeout, failed, peer_lost               no setup in time, no network path, the peer gone
//	error                                    a protocol, signaling or media error (Call.Err)
//
// Outcomes of the signaling service (unavailable, busy, no_answer, declined, cancelled,
// answered_elsewhere, declined_elsewhere) reach the engine as the Reason of a KindHangup or
// KindDecline Message; engine/line translates the server's frames into them. The service does
// not tell an offline user from one that does not exist (both are unavailable). no_answer ends
// the caller's call when the ring timeout expires, and a callee's call that timed out before
// this device answered. answered_elsewhere is the device whose accept lost the race: no media
// was exchanged. key_changed: the peer's identity key differs from the one the user verified
// (with Config.Store and Config.PeerName); the call was refused before any media flowed, and
// Call.Err wraps ErrKeyChanged and e2ee.ErrIdentityChanged.
type Reason string

// End reasons.
const (
	ReasonHangup            Reason = "hangup"             // this side hung up (Call.Hangup)
	ReasonRemoteHangup      Reason = "remote_hangup"      // the peer hung up after the call was answered
	ReasonDeclined          Reason = "declined"           // caller: the callee declined
	ReasonUnavailable       Reason = "unavailable"        // caller: the callee has no device online (or no such user)
	ReasonBusy              Reason = "busy"               // caller: every device of the callee is in another call
	ReasonNoAnswer          Reason = "no_answer"          // nobody answered within the service's ring timeout
	ReasonCancelled         Reason = "cancelled"          // callee: the caller hung up before the call was answered
	ReasonAnsweredElsewhere Reason = "answered_elsewhere" // callee: another device of this user answered first
	ReasonDeclinedElsewhere Reason = "declined_elsewhere" // callee: another device of this user declined
	ReasonKeyChanged        Reason = "key_changed"        // the peer's key is not the one the user verified (Call.Err says more)
	ReasonTimeout           Reason = "timeout"            // setup did not complete within Config.SetupTimeout
	ReasonPeerLost          Reason = "peer_lost"          // no packet from the peer for Config.DisconnectTimeout
	ReasonFailed            Reason = "failed"             // ICE found no working path, or DTLS failed
	ReasonError             Reason = "error"              // a protocol, signaling or media error (see Call.Err)
)

// remoteReasons are the Reasons a KindHangup or KindDecline Message may carry.
var remoteReasons = map[Reason]bool{
	ReasonRemoteHangup: true, ReasonDeclined: true, ReasonUnavailable: true, ReasonBusy: true,
	ReasonNoAnswer: true, ReasonCancelled: true, ReasonAnsweredElsewhere: true, ReasonDeclinedElsewhere: true,
}

// MessageErrorPrefix starts the Reason of a KindHangup Message that reports an error of the
// signaling service about this call ("error: state: no such call"); the call ends with
// ReasonError and an error wrapping ErrSignal that carries the rest of the text.
const MessageErrorPrefix = "error"

// remoteReason is the Reason, and the error for ReasonError, of a call ended by m (a KindHangup
// or KindDecline message). A Reason the engine does not know (a peer's "hangup", an older
// service's text) is ReasonRemoteHangup, or ReasonDeclined for a decline.
func remoteReason(m Message) (Reason, error) {
	r := Reason(m.Reason)
	if text, ok := strings.CutPrefix(m.Reason, MessageErrorPrefix); ok && (text == "" || text[0] == ':') {
		text = strings.TrimSpace(strings.TrimPrefix(text, ":"))
		if text == "" {
			text = "error from the signaling service"
		}
		return ReasonError, fmt.Errorf("%w: %s", ErrSignal, text)
	}
	switch {
	case remoteReasons[r] && (m.Kind == KindHangup || r == ReasonDeclined || r == ReasonDeclinedElsewhere):
		return r, nil
	case m.Kind == KindDecline:
		return ReasonDeclined, nil
	}
	return ReasonRemoteHangup, nil
}

// Event is one change in a call's life, delivered on Call.Events.
type Event struct {
	At    time.Time
	State State // the state after the change
	// Relayed is set on the event that reports the path switching to a TURN relay (State stays
	// StateConnected) and on connected events whose path is relayed.
	Relayed bool
	// Path describes the selected path for connected and relayed events.
	Path Path
	// Outage is set on the StateConnected event that reports a lost path restored: how long
	// nothing arrived from the peer, from the last packet before the loss to the first after
	// it (measured to 50 ms).
	Outage time.Duration
	// Reason and Err are set on the StateEnded event.
	Reason Reason
	Err    error
}

// String renders the event for logs.
func (e Event) String() string {
	switch {
	case e.State == StateEnded:
		if e.Err != nil {
			return fmt.Sprintf("ended (%s: %v)", e.Reason, e.Err)
		}
		return fmt.Sprintf("ended (%s)", e.Reason)
	case e.State == StateConnected && e.Outage > 0:
		return fmt.Sprintf("connected via %s (path restored after %v)", e.Path, e.Outage.Round(10*time.Millisecond))
	case e.State == StateConnected:
		return fmt.Sprintf("connected via %s", e.Path)
	}
	return e.State.String()
}

// Path is the network path of a call: the selected ICE candidate pair.
type Path struct {
	Local, Remote string // candidate types: "host", "srflx", "prflx" or "relay"
	Protocol      string // transport between the pair: "udp" or "tcp"
	// RelayProtocol is how a local relay candidate reaches its TURN server ("udp" or "tcp").
	RelayProtocol string
	LocalAddr     string // local candidate's address:port
	RemoteAddr    string // remote candidate's address:port
}

// Relayed reports whether either end of the pair is a TURN relay.
func (p Path) Relayed() bool { return p.Local == "relay" || p.Remote == "relay" }

// String renders the path as "host/udp → srflx".
func (p Path) String() string {
	if p.Local == "" {
		return "none"
	}
	s := p.Local + "/" + p.Protocol + " → " + p.Remote
	if p.RelayProtocol != "" {
		s += " (relay over " + p.RelayProtocol + ")"
	}
	return s
}
