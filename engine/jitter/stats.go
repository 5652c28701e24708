package jitter

import "time"

// Stats are the buffer's counters, named after the W3C webrtc-stats RTCInboundRtpStreamStats
// members they implement (jitterBufferDelay → JitterBufferDelay), plus Parley's own. Counters
// are cumulative from New; delays summed per sample are in seconds, as in webrtc-stats, so
// JitterBufferDelay / JitterBufferEmittedCount is the mean time an emitted sample spent in the
// buffer. Samples are at 48 kHz.
type Stats struct {
	// PacketsReceived counts every Push, including duplicates, late and malformed packets.
	PacketsReceived uint64
	// PacketsLost is the number of packets expected (from the sequence numbers) minus the
	// distinct packets received, as RFC 3550's cumulative loss; late packets are received.
	PacketsLost int64
	// PacketsDiscarded counts packets dropped because they arrived after their playout time
	// (late), or when the buffer was full.
	PacketsDiscarded uint64
	// PacketsDuplicated counts packets whose sequence number (or timestamp) was already
	// received; they are dropped.
	PacketsDuplicated uint64
	// PacketsMalformed counts packets that could not be parsed (bad RED or Opus TOC); Parley's.
	PacketsMalformed uint64

	// FECPacketsReceived counts packets that carry Opus in-band FEC (the LBRR flag of their
	// first SILK frame) while FEC is negotiated. webrtc-stats' fecPacketsReceived counts every
	// SILK or hybrid packet; counting those that carry some tells whether the sender sends it.
	FECPacketsReceived uint64
	// FramesRecoveredFEC and FramesRecoveredRED count lost frames rebuilt from the next
	// packet's in-band FEC or from a RED copy; FramesDecoded counts frames played from their
	// own packet. Parley's.
	FramesDecoded, FramesRecoveredFEC, FramesRecoveredRED uint64
	// FramesRecoveredDRED counts lost frames that RED and FEC could not rebuild, rebuilt from
	// the Deep REDundancy (libopus 1.5) of a later buffered packet (Config.DRED). Parley's.
	FramesRecoveredDRED uint64

	// JitterBufferDelay is the sum, over emitted samples that came from a packet, of the
	// seconds between the packet's arrival and the sample's playout.
	JitterBufferDelay float64
	// JitterBufferEmittedCount is the number of samples summed in JitterBufferDelay.
	JitterBufferEmittedCount uint64
	// JitterBufferTargetDelay sums the target delay (seconds) at each emitted sample's playout.
	JitterBufferTargetDelay float64
	// JitterBufferMinimumDelay sums the estimator's delay before the MinTarget/MaxTarget bounds
	// and any external policy (seconds) at each emitted sample's playout.
	JitterBufferMinimumDelay float64

	// TotalSamplesReceived counts every sample played out since playout began.
	TotalSamplesReceived uint64
	// ConcealedSamples counts samples synthesized by loss concealment (PLC), including PLC
	// that covered a late packet. Comfort noise during the sender's DTX silence is not
	// concealment: see DTXSamples.
	ConcealedSamples uint64
	// SilentConcealedSamples is the part of ConcealedSamples that was (near) silent.
	SilentConcealedSamples uint64
	// ConcealmentEvents counts runs of concealed samples following non-concealed ones.
	ConcealmentEvents uint64
	// InsertedSamplesForDeceleration and RemovedSamplesForAcceleration count samples added or
	// removed by time-stretching (including stretched DTX silence).
	InsertedSamplesForDeceleration, RemovedSamplesForAcceleration uint64
	// DTXSamples counts comfort-noise samples played while the sender was silent (DTX);
	// Parley's.
	DTXSamples uint64

	// BufferLevel is the audio buffered now: decoded samples not yet played plus the span of
	// stored packets. TargetDelay is the current target, and Margin the current playout margin
	// of a packet arriving with the smallest recent delay, the quantity steered to TargetDelay
	// (so mean JitterBufferDelay ≈ Margin − mean relative delay + frame/2).
	BufferLevel, TargetDelay, Margin time.Duration
}

// MeanDelay is JitterBufferDelay / JitterBufferEmittedCount: the mean time a played sample
// spent in the buffer (0 before any).
func (s Stats) MeanDelay() time.Duration {
	if s.JitterBufferEmittedCount == 0 {
		return 0
	}
	return time.Duration(s.JitterBufferDelay / float64(s.JitterBufferEmittedCount) * float64(time.Second))
}

// MeanTargetDelay is JitterBufferTargetDelay / JitterBufferEmittedCount.
func (s Stats) MeanTargetDelay() time.Duration {
	if s.JitterBufferEmittedCount == 0 {
		return 0
	}
	return time.Duration(s.JitterBufferTargetDelay / float64(s.JitterBufferEmittedCount) * float64(time.Second))
}
