// Package server is Parley's signaling server: WebSocket endpoint, login and registration,
// call routing, session resumption, brokers for running one node or many, TURN credentials and
// an embedded TURN server, rate limits, health and metrics.
//
// The engine never imports this package (an architecture test holds that line); clients use
// package signaling.
//
// # Routing
//
// Every message for a user travels through a Broker on the subject "parley.user.<name>", even
// on a single node (the in-memory broker delivers synchronously). Each node subscribes for the
// users that have a session on it. An invite is a broker request: every node with a device of
// the callee rings its devices and answers with how many rang, so "no responders" means the
// callee is offline ("unavailable" at once) and a broker failure becomes an error frame for
// the caller rather than silence. The caller's node owns the call's ringing state and ring
// timer and decides which accept wins; after that both nodes know the peer's device and relay
// frames directly to it. Nodes trust each other and the broker; clients are trusted with
// nothing beyond their own session and calls.
//
// # Sessions
//
// A session is (user, device). When its connection drops it stays for ResumeGrace, queuing
// frames, so a client that logs in again with the same device resumes without loss
// (sequence numbers and acks, see package signaling). When the grace period ends the session
// is dropped and its calls are ended.
package server
