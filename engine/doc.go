// Package engine is Parley's embeddable call engine: end-to-end encrypted 1:1 voice calls over
// pion/webrtc, with the key agreement and every session description carried, sealed, over a
// signaling channel the application provides.
//
// # Embedding
//
// An application supplies three things: a Signal (an ordered message channel to the peer for
// one call — the signaling service's client, or the in-memory Pipe in tests), an audio Source
// and Sink (engine/audio: WAV files, tones, PortAudio devices), and a Config, whose zero value
// works. The caller calls Dial; the callee, having received the invite, calls Answer. Both get
// a Call, whose Events report ringing, connecting, connected, reconnecting, relayed and ended
// (with a reason), and which offers SAS, Verify, Mute, Stats and Hangup.
//
// # Call setup
//
//	caller                              callee
//	invite(Commit)            ───►
//	                          ◄───      accept(Response)
//	relay(Reveal)             ───►                       both: e2ee.Session, SAS
//	relay(sealed offer)       ───►
//	                          ◄───      relay(sealed answer)
//	relay(sealed candidates)  ◄──►      relay(sealed candidates)
//	ICE (host/srflx/relay) → DTLS-SRTP (AES-GCM first) → Opus/RED media, receiver reports
//
// The signaling service sees the agreement messages (which are public by design) and opaque
// envelopes: never SDP, DTLS fingerprints, ICE candidates or addresses. The DTLS fingerprints
// are authentic because they arrive sealed under keys from the agreement, so DTLS-SRTP keys the
// media without trusting the server; the SAS both users compare detects a server that
// substituted identity keys.
//
// # Media
//
// pion is configured from scratch: Opus (opus/48000/2, useinbandfec=1, usedtx=1, sent mono)
// and RED (red/48000/2, RFC 2198) are the only codecs; the interceptor registry holds RTCP
// sender and receiver reports — nothing else (no NACK: late voice is useless; no TWCC: the
// adaptation's own arrival feedback replaces it, see below). The send pipeline (Source → Opus
// encoder → codec.Packetizer with DTX → RED → our own TrackLocal) runs on a clock of one frame
// per frame duration; the receive pipeline pushes every RTP packet into an adaptive jitter
// buffer (engine/jitter) that a steady 10 ms playout clock pulls into the Sink. A data channel
// carries receiver reports (ReceiverReport) four times a second: concealment, recovery and
// buffering figures RTCP does not carry, which Stats and the adaptation use.
//
// A live Source (a microphone, audio.IsLive) goes through the audio processing stage
// (engine/audio/apm: echo cancellation, noise suppression, gain control) before the encoder; the
// echo canceller's reference is what the playout clock writes into the Sink. Config.EchoCancel,
// NoiseSuppress and GainControl switch each stage; Stats.Processing shows them.
//
// # Adaptation
//
// Unless Config.NoAdapt is set, each side runs Parley's network adaptation (package adapt)
// on its own traffic. The receiver logs every RTP packet's arrival and sends the log back
// over the data channel every 200 ms (compact records of sequence number and arrival time,
// each repeated in two messages, since the channel is unreliable); the sender matches them to
// its own send times and sizes and feeds an adapt.Tracker with the peer's view of its packets
// plus the RTT of ICE's consent checks. Every 500 ms, on a goroutine of its own, the sender's adapt.Controller
// decides bitrate (6–64 kb/s), frame duration (20/40/60 ms), FEC and loss hint, and RED depth
// with primary or low-rate copies, applied through Call.Tune from the next frame. With
// Config.AdaptJitter the receiver's controller, fed with local arrivals (send times from RTP
// timestamps), sets the jitter buffer's target too. Stats.Adapt shows both.
//
// Per-packet arrival feedback was chosen over transport-wide congestion control feedback
// (not negotiated): TWCC numbers packets with a transport-wide sequence number stamped
// inside pion's interceptor chain, which our TrackLocal never sees, and a lost TWCC report
// loses its arrivals (the tracker would count them as lost packets), while the data-channel
// records carry our RTP sequence numbers and survive the loss of any one message.
//
// # Paths
//
// ICE gathers host, server-reflexive and relay candidates from Config.ICEServers. PolicyAuto
// prefers a direct pair and accepts a relay after Config.RelayWait; PolicyRelay gathers only
// relay candidates, so the peer never learns this side's addresses; PolicyDirect ignores TURN.
// Stats.Path names the pair in use.
//
// Mid-call the other candidate pairs are kept warm: ICE keeps checking every pair (pion's
// renomination keepalive, with its automatic switching off), and the engine's own
// connectivity checks on them tell each side which pairs the peer reaches it on (Stats.Standby).
// When the active path goes silent for longer than its own recent delivery gaps warrant
// (60–600 ms while the peer talks, two missing receiver reports while it is silent), the
// engine checks the active pair and the standbys; a standby that answers while two checks of
// the active pair go unanswered, and nothing else arrives, takes over on both sides at once,
// without an ICE restart or signaling (Stats.SwitchLog has each switch and its cause). An
// outage or loss burst of the access link hits every pair alike and switches nothing. After
// lostAfter (1 s) of silence the call shows StateReconnecting; after restartAfter (2 s), when
// no known pair brought media back, the caller restarts ICE (a sealed re-offer with fresh
// credentials; the callee asks for it when only its direction died), the last resort.
// Restarts repeat with backoff while nothing arrives and signaling is up; ICE itself never
// gives up, so the pair in use recovers by itself after an outage even without signaling.
// Packets arriving again after a loss show as a StateConnected event with Event.Outage set. A
// call whose peer still answers on signaling is never given up; it ends with ReasonPeerLost
// after Config.DisconnectTimeout without anything from the peer on either channel. See
// failover.go and path.go.
//
// # Concurrency and lifetime
//
// Call methods are safe for concurrent use. Each call owns its goroutines (signaling, send,
// receive, playout, reports, watchdog) and stops them all when it ends; Hangup returns after
// they have exited.
package engine
