// Package media is Parley's media core without a network: the send step (a frame of audio →
// Opus encoder → DTX packetizer → RED → a PacketWriter), the receive step (an RTP packet →
// jitter buffer → decoder, with the log of arrivals the receiver feeds back), the per-packet
// arrival feedback (wire format, the receiver's log, the sender's matching of arrivals to its
// send times) and the adaptation behind one Policy interface.
//
// The package is pure: no pion/webrtc, no ICE, no goroutines, no wall clock. Every time is a
// time.Duration on a clock the caller hands in (the engine's real clock since the call started,
// or the bench's virtual clock), so the engine, which owns the goroutines and pion, and the
// bench, which drives the same steps over an emulated link in virtual time, run the same code.
//
// Concurrency: no type here is safe for concurrent use; the engine guards each with a lock, the
// bench is single-threaded. The per-frame and per-packet steps allocate nothing.
package media
