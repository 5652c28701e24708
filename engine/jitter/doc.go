// Package jitter is Parley's receive-side jitter buffer for Opus voice: packets go in as they
// arrive (Push), 48 kHz mono audio comes out at the pace of a steady playout clock (Pull, in
// 10 ms chunks). It is modelled on WebRTC's NetEq, and reports WebRTC's statistics.
//
// # Time
//
// The buffer reads no clock and starts no goroutines: Push and Pull take the current time from
// the caller, so it runs the same under a real clock in the engine and under virtual time in
// the offline bench (bench.AdaptiveReceiver). A Buffer is not safe for concurrent use.
//
// # Target delay
//
// For every packet the estimator measures its relative delay: how much later than the fastest
// packet of the last 2 s it arrived, against the RTP clock (arrival − timestamp/48 kHz, minus
// the window's minimum), so a constant network delay counts zero. Relative delays go into a
// histogram of 2 ms bins with exponential forgetting (Config.ForgetFactor per packet, equal
// weights at the start). NetEqPolicy takes its Config.Quantile (95th percentile) plus one
// playout chunk (a Pull decodes its whole chunk when it starts); the estimator also offers any
// other quantile and the peak of the last 10 s to other policies. SetTargetPolicy replaces the
// policy (the adaptation layer does), and the result is clamped to [MinTarget, MaxTarget].
// MinTarget (20 ms) is the floor that absorbs reordering and clock noise.
//
// Config.Mode chooses the buffer's own policy. ModeNetEq is the above, as libwebrtc's NetEq.
// ModeDefault (DefaultPolicy) adds the cover the sender's redundancy needs, which the buffer
// reads from the packets themselves: once losses recur (3 loss runs within 5 s,
// Estimate.LossEvents), the RED depth in frames (RED blocks, Estimate.REDDepth) or one frame of
// Opus in-band FEC (the LBRR flag, Estimate.FEC), so that the copy of a lost frame arrives
// before the frame is due; and, for a sender of DRED, the loss runs the DRED of the packet after
// a run can rebuild (Estimate.LossRun frames, at most Estimate.DREDReach, held for 10 s; see
// cover.go).
// ModeTrack is a receiver-side tracking target (TrackPolicy): the same quantile over a
// histogram that forgets in time (TrackMemory, 4 s) rather than per packet, in which the
// backlog a link delivers after an outage (a delivery gap of 300 ms or more) weighs a quarter;
// the same redundancy cover on top (its RED and FEC part while Estimate.Loss is 1 % or more);
// and a hold (below) of one target, at least 60 ms, instead
// of two. The modes are measured against each other by `parley bench adapt -strategies
// adapt+neteq,adapt+track`.
//
// A target above the margin is reached by decelerating when it lies within 20 ms, otherwise
// at losses: where a packet is missing and the audio is concealment anyway, the buffer conceals
// one frame ahead of the gap instead of in it (time added where it is least heard, a frame per
// gap), and at an underrun it keeps the held concealment as delay.
//
// The target is a margin: the time between the arrival of a packet with relative delay 0 and
// the playout of its first sample. The buffer knows its current margin exactly — when the
// sample at its playout position will play, minus the arrival time a zero-delay packet for it
// would have had — and steers it to the target by time-stretching. A packet with relative
// delay d then waits margin − d, and is late when d exceeds the margin.
//
// # Rendering
//
// When the playout clock needs audio the frame at the playout position comes from, in order:
// its own packet; a RED copy (RFC 2198) carried by a later packet; the in-band FEC of the next
// packet (only when Config.FEC says FEC was negotiated, and the next packet is SILK or hybrid);
// Opus packet-loss concealment (codec.Decoder.DecodePLC). A gap in timestamps whose next packet
// carries the next sequence number is the sender's DTX silence: it is rendered as Opus comfort
// noise and is not concealment. Packets are stored sorted by timestamp, so reordered packets
// play in order; duplicates (same sequence number, or same timestamp) are dropped; a packet
// whose audio has been played is late and discarded.
//
// When nothing at all is buffered the position is held and the buffer conceals in 10 ms steps
// until a packet arrives and says what happened: if it is the awaited packet it plays next (the
// concealment stretched time and the margin grew, as NetEq's expand does, rather than losing a
// merely late packet); if a later packet shows a loss, the held concealment stands in for the
// lost audio (up to the missing packets' worth; beyond that a gap is DTX silence, so a packet
// lost next to a pause does not count the pause as concealment); if it shows DTX, the held
// samples were comfort noise. The hold lasts at most
// twice the target (at least 100 ms); after that the position moves on with concealment, so an
// outage does not add its whole length to the delay, and packets of the skipped audio are late.
//
// # Time-stretching
//
// The margin moves by pitch-synchronous overlap-add on the decoded audio (NetEq's accelerate
// and preemptive expand, a WSOLA variant): after each frame is decoded, if the margin is more
// than 30 ms above or 5 ms below the target, the lag L of 2.5–15 ms at which the audio best repeats itself is
// found (coarse search at 12 kHz, refined at 48 kHz) and one period is removed (two periods
// cross-faded into one) or inserted (a period cross-faded in again). The cross-fades start and
// end on original samples, so the waveform stays continuous, and whole periods keep the pitch.
// Speech is stretched only when two consecutive periods correlate at 0.9 or more; low-energy
// segments (30 dB under the recent speech level) are stretched without that test, and are
// preferred: speech itself is stretched only when the margin is three times that far off
// target and has been off target for three seconds, so stretching falls in the talker's pauses whenever there
// are any. Acceleration short of that waits for a pause: 150 ms of low-energy audio in a row,
// not the quiet closure of a consonant inside a word. A budget limits stretching to Config.MaxStretchRate (10 %) of the samples played,
// low-energy stretching costing a quarter. Far above the target (by more than 300 ms and
// twice the target: a late first packet, a backlog released at once after a stall) the buffer
// sheds delay as NetEq's fast accelerate does: speech is stretched at once, at three times that
// rate. During DTX silence the margin moves for free by
// shortening or lengthening the silence. The same mechanism absorbs clock drift between sender
// and playout clock. Deceleration covers a deficit of at most 20 ms (clock drift, small target
// moves): a target that rose further is reached in the next pause, at the next loss (the
// concealment goes in ahead of the missing frame) or by holding the position at the next
// underrun, which the late packets that raised it cause anyway, rather than by stretching
// speech ahead of it (Config.DecelerateFar restores NetEq's preemptive expand towards any rise).
//
// PESQ (bench/pesq) scores time-stretched speech lower than it sounds: it aligns each utterance
// as a whole, so a delay that moves inside an utterance costs score even in a pause (cutting
// 40 ms of near-silence just before the first word of the test clip, with no codec, scores
// 4.02 against 4.64 untouched).
//
// # Statistics
//
// Stats uses the names of the W3C webrtc-stats RTCInboundRtpStreamStats members:
// JitterBufferDelay sums, over emitted samples that came from a packet, the seconds between the
// packet's arrival and the sample's playout; JitterBufferEmittedCount counts those samples, so
// their ratio is the mean buffering delay. JitterBufferTargetDelay and JitterBufferMinimumDelay
// sum the target and the estimator's unclamped delay per emitted sample. ConcealedSamples
// counts PLC output (SilentConcealedSamples the near-silent part, ConcealmentEvents the runs);
// InsertedSamplesForDeceleration and RemovedSamplesForAcceleration count stretching.
// PacketsReceived, PacketsLost (RFC 3550: expected minus distinct received), PacketsDiscarded
// (late, or buffer full), PacketsDuplicated and FECPacketsReceived follow webrtc-stats too.
// Parley adds FramesDecoded, FramesRecoveredFEC, FramesRecoveredRED, DTXSamples,
// PacketsMalformed, and the current BufferLevel, TargetDelay and Margin.
//
// # Allocation
//
// Packets are copied into preallocated slots (Config.Capacity) and audio lives in
// preallocated buffers: Push and Pull allocate nothing in steady state.
package jitter
