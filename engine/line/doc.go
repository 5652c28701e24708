// Package line connects the engine to Parley's signaling service: a Line wraps one logged-in
// signaling.Client and turns it into engine.Signal values, one per call, demultiplexing the
// client's frames by call ID.
//
// Place a call with Line.Call and engine.Dial; take incoming calls from Line.Incoming and
// answer them with engine.Answer (or decline). ICEServers converts the STUN/TURN servers and
// credentials the server handed out at login into engine.Config form.
//
// Frame mapping (engine.Kind ↔ signaling.Type):
//
//	send  invite → Invite, accept → Accept, decline → Decline, relay → Relay,
//	      hangup → Cancel before the call was answered, Hangup after; ringing is the server's
//	recv  ringing → ringing, accepted → accept, declined → decline, relay → relay,
//	      hangup, cancelled, timeout, busy, unavailable and call errors → hangup, whose Reason
//	      is the engine.Reason the call ends with:
//
//	      hangup                       → remote_hangup
//	      unavailable, busy            → unavailable, busy
//	      timeout, cancelled(timeout)  → no_answer
//	      cancelled(cancel)            → cancelled
//	      cancelled(answered_elsewhere), cancelled(declined_elsewhere) → the same
//	      error about the call         → "error: CODE: TEXT" (engine.ReasonError, ErrSignal)
package line
