package bench

import (
	"fmt"
	"time"

	"github.com/parley-voice/parley/bench/baseline"
	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/engine/media"
	"github.com/parley-voice/parley/internal/netem"
)

// SampleRateHz is the rate the pipeline runs at by default: the call path's 48 kHz.
// SendConfig.SampleRateHz selects another Opus rate (16 kHz, as most published sweeps use).
const SampleRateHz = 48000

// SendConfig is what the sender does: codec settings, frame size and redundancy.
type SendConfig struct {
	Settings codec.Settings
	Frame    time.Duration // 10, 20, 40 or 60 ms; 0 means 20 ms
	// REDDepth is the number of earlier frames repeated in each packet (RFC 2198), 0..3.
	REDDepth int
	// REDLowRateBps, when non-zero, encodes the redundant copies with a separate encoder at this
	// bitrate instead of repeating the primary encoding.
	REDLowRateBps int
	// SampleRateHz is the rate the clip is encoded, decoded and played at (8000, 12000, 16000,
	// 24000 or 48000); 0 means SampleRateHz (48 kHz). RTP timestamps stay on Opus's 48 kHz
	// clock. The speech passed to Run is always 48 kHz; Result.Sent and Result.Received are at
	// this rate.
	SampleRateHz int
}

func (c SendConfig) rate() int {
	if c.SampleRateHz == 0 {
		return SampleRateHz
	}
	return c.SampleRateHz
}

func (c SendConfig) frame() time.Duration {
	if c.Frame == 0 {
		return 20 * time.Millisecond
	}
	return c.Frame
}

// Packet is one voice packet as the receiver sees it.
type Packet struct {
	SequenceNumber uint16
	Timestamp      uint32 // RTP timestamp of the primary frame (48 kHz RTP clock, RFC 7587)
	Marker         bool
	FrameSamples   int  // samples per frame at SampleRateHz
	SampleRateHz   int  // the stream's rate; 0 means 48000
	RED            bool // Payload is a RED (RFC 2198) payload; otherwise plain Opus
	Payload        []byte
}

// Receiver is the receive side of the pipeline: packets arrive with Receive in order of arrival
// time, and the playout clock pulls audio with Play every PlayoutChunk. Implementations own
// their jitter-buffer policy, decoding and concealment. Receive and Play are never called
// concurrently; times are virtual and non-decreasing.
type Receiver interface {
	Receive(at time.Duration, p Packet)
	// Play fills out (len = PlayoutChunk at the packets' SampleRateHz, 48 kHz unless the run
	// says otherwise) with the audio due at time at.
	Play(at time.Duration, out []float32)
	// Stats reports what happened so far.
	Stats() ReceiveStats
	// Origin is the playout time of RTP timestamp 0 (the clip's first sample), once known.
	Origin() (time.Duration, bool)
}

// PlayoutChunk is the granularity of the playout clock.
const PlayoutChunk = 10 * time.Millisecond

// ReceiveStats counts frames by how they were rendered, in frames of the sender's size.
type ReceiveStats struct {
	Frames       int // frames due for playout after the first packet arrived
	Decoded      int // primary packet on time
	RecoveredRED int // primary missing, a RED copy on time
	RecoveredFEC int // primary missing, in-band FEC of the next packet on time
	// RecoveredDRED: primary, RED and FEC missing, rebuilt from the DRED data of a later packet
	// already in the jitter buffer (libopus 1.5; FixedReceiver with DRED set).
	RecoveredDRED int
	Concealed     int // nothing on time: PLC (Deep PLC at decoder complexity ≥ 5)
	Late          int // packets that arrived after their playout time (subset of missing)
	Silent        int // frames the sender did not send (DTX), rendered as comfort noise
}

// ResidualLoss is the fraction of sent frames that had to be concealed by PLC.
func (s ReceiveStats) ResidualLoss() float64 {
	sent := s.Frames - s.Silent
	if sent <= 0 {
		return 0
	}
	return float64(s.Concealed) / float64(sent)
}

// Result is the outcome of one pipeline run.
type Result struct {
	Sent         []float32 // the speech as sent, at the run's rate (48 kHz unless SendConfig says)
	Received     []float32 // the audio played out, at the same rate, aligned to Sent by Delay
	Delay        time.Duration
	Receive      ReceiveStats
	Link         netem.Stats
	PacketsSent  int
	PayloadBytes int // RTP payload bytes sent (Opus + RED headers and copies)
	Duration     time.Duration
	NetworkLoss  float64 // fraction of sent packets the link dropped (before FEC/RED)
}

// PayloadKbps is the average RTP payload rate over the whole clip, including RED.
func (r Result) PayloadKbps() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.PayloadBytes*8) / r.Duration.Seconds() / 1000
}

// Run sends speech (48 kHz mono) through the media core's send step (encoder → packetizer →
// RED) with cfg's fixed settings, at cfg's sample rate, over link to rx, in virtual time, and
// returns the played-out audio. link is consumed (its state advances); rx must be fresh. No
// feedback is sent: the settings never change (RunAdaptive adapts).
func Run(speech []float32, cfg SendConfig, link *netem.Link, rx Receiver) (Result, error) {
	set := media.Settings{BitrateBps: cfg.Settings.BitrateBps, Frame: cfg.frame(), FEC: cfg.Settings.FEC,
		LossHint: cfg.Settings.LossHint, REDDepth: cfg.REDDepth, REDLowRateBps: cfg.REDLowRateBps, DRED: cfg.Settings.DRED}
	if err := set.Validate(); err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	rate := cfg.rate()
	if rate != SampleRateHz {
		var err error
		if speech, err = codec.Resample(speech, SampleRateHz, rate); err != nil {
			return Result{}, fmt.Errorf("%w: SampleRateHz: %v", ErrConfig, err)
		}
	}
	if len(speech) < int(set.Frame*time.Duration(rate)/time.Second) {
		return Result{}, fmt.Errorf("%w: speech of %d samples is shorter than one frame", ErrConfig, len(speech))
	}
	res, err := runLoop(speech, loopConfig{policy: &baseline.Fixed{Settings: set}, codec: cfg.Settings, rate: rate, rx: rx}, link)
	return res.Result, err
}
