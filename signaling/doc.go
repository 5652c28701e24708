// Package signaling is the client side of Parley's signaling service and its wire protocol: the
// "messaging channel" over which users log in, ring each other and exchange the end-to-end key
// agreement and sealed session descriptions.
//
// # Wire protocol
//
// One WebSocket per device, text messages, one JSON [Frame] per message (see protocol.go for the
// versioning and size rules). The server speaks first with a challenge; the client answers with
// a login signed by its Ed25519 identity over the challenge (see [LoginMessage]); the server
// answers with a welcome carrying STUN/TURN URLs and short-lived credentials in the coturn REST
// format ([MintTURN]).
//
// Call flow (caller A, callee B with one or more devices):
//
//	A → invite(call, to=B, data=Commit)      server → A: ringing | unavailable | busy | error
//	server → every device of B: incoming(call, user=A, key, data=Commit)
//	B device → accept(call, data=Response)    server → A: accepted(device, data=Response)
//	                                          server → that device: connected;
//	                                          other devices: cancelled(answered_elsewhere)
//	or B → decline                            server → A: declined
//	or ring timeout                           server → A: timeout; B: cancelled(timeout)
//	or A → cancel                             server → B: cancelled(cancel)
//	either → relay(call, data)                peer: relay(call, data)       (sealed envelopes)
//	either → hangup(call)                     peer: hangup(call)
//
// The data of invite, accept and relay is opaque to the server: the e2ee agreement messages and
// then e2ee envelopes carrying SDP, ICE candidates and everything else peer-to-peer. The server
// routes by user, device and call ID only; it never sees SDP, candidates or peer addresses.
//
// # Reliability
//
// Frames that matter carry a sequence number (Seq, per direction, from 1) and every frame may
// carry Ack, the highest sequence number received from the other side. Each side keeps what the
// other has not acknowledged; when a connection drops, the client logs in again with the same
// device name within the server's grace period and both sides resend what is unacknowledged, so
// no queued message is lost and none is delivered twice. The client pings every 25 s
// (ClientConfig.PingInterval), so a network that died silently counts as a drop and is
// resumed the same way.
//
// A session lives on one server node. A client that comes back to another node (after that
// node shut down and told it to reconnect, or behind a load balancer) starts a new session:
// Events reports an error frame with code "session_lost", and what was queued is gone.
//
// # TURN
//
// The welcome carries STUN/TURN URLs and a credential valid for the server's TTL (ten minutes
// by default). Client.RefreshTURN fetches a fresh one, for ICE restarts late in a long call.
//
// # Trust
//
// The server binds a username to an identity key at first login and checks every later login's
// signature, so nobody can log in as someone else. It is still not trusted with keys: the e2ee
// SAS comparison detects a server that substitutes identity keys on first contact.
package signaling
