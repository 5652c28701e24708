package media

import (
	"fmt"
	"time"

	"github.com/pion/rtp"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/engine/jitter"
)

// Chunk is the playout clock's period: the receiver is pulled 10 ms at a time.
const Chunk = 10 * time.Millisecond

// rtpClockHz is Opus's RTP clock rate.
const rtpClockHz = 48000

// ReceiverConfig configures a Receiver.
type ReceiverConfig struct {
	// Jitter configures the jitter buffer.
	Jitter jitter.Config
	// JitterPolicy, when set, sets the buffer's target delay from its estimator; it overrides
	// JitterControl's target.
	JitterPolicy jitter.TargetPolicy
	// JitterControl, when set (and JitterPolicy is not), is an adapt controller fed with every
	// arrival whose decided target (DecideJitter) the buffer follows. Playout then starts at its
	// initial target.
	JitterControl *adapt.Controller
}

// Receiver is the receive step: an RTP packet → jitter buffer (engine/jitter: reordering,
// RED, FEC, concealment, time-stretching) → decoded audio pulled by the playout clock, with the
// log of arrivals the receiver feeds back to the sender and, optionally, a controller of the
// buffer's target. Times are on the receiver's clock. Not safe for concurrent use; Receive and
// Pull allocate nothing.
type Receiver struct {
	buf *jitter.Buffer
	log ArrivalLog
	hdr rtp.Header

	ctl *adapt.Controller
	// RTP timestamp unwrapping for ctl: the sender's clock of each arrival.
	tsStarted bool
	tsLast    uint32
	tsExt     int64
	target    time.Duration // decided jitter target
	decisions uint64
	trusted   bool
}

// NewReceiver returns a receiver configured by cfg.
func NewReceiver(cfg ReceiverConfig) (*Receiver, error) {
	r := &Receiver{}
	jc := cfg.Jitter
	if cfg.JitterControl != nil && cfg.JitterPolicy == nil {
		r.ctl = cfg.JitterControl
		r.target = r.ctl.Policy.Current().JitterTarget
		// The adaptation's target is above the base delay and may be as low as adapt's
		// MinTarget; playout starts at its initial target (plus the chunk).
		jc.MinTarget = 10 * time.Millisecond
		jc.InitialTarget = r.target + Chunk
	}
	b, err := jitter.New(jc)
	if err != nil {
		return nil, fmt.Errorf("%w: jitter buffer: %w", ErrConfig, err)
	}
	switch {
	case cfg.JitterPolicy != nil:
		b.SetTargetPolicy(cfg.JitterPolicy)
	case r.ctl != nil:
		b.SetTargetPolicy(r.policy)
	}
	r.buf = b
	return r, nil
}

// Receive parses one RTP packet (its payload type redPT says RED; −1: none) that arrived at
// time at and pushes it into the buffer; a malformed packet is an error wrapping ErrProtocol.
// It returns the payload's size.
func (r *Receiver) Receive(at time.Duration, pkt []byte, redPT int) (int, error) {
	hl, err := r.hdr.Unmarshal(pkt)
	if err != nil {
		return 0, fmt.Errorf("%w: RTP: %w", ErrProtocol, err)
	}
	end := len(pkt)
	if r.hdr.Padding && end > hl {
		end -= int(pkt[end-1])
	}
	if end <= hl {
		return 0, fmt.Errorf("%w: RTP packet without payload", ErrProtocol)
	}
	r.Push(at, jitter.Packet{
		SequenceNumber: r.hdr.SequenceNumber, Timestamp: r.hdr.Timestamp,
		RED: int(r.hdr.PayloadType) == redPT, Payload: pkt[hl:end],
	})
	return end - hl, nil
}

// Push takes one parsed packet that arrived at time at: into the buffer (every outcome is
// counted in its stats), the arrival log and the jitter controller.
func (r *Receiver) Push(at time.Duration, p jitter.Packet) {
	_ = r.buf.Push(at, p)
	r.log.OnPacket(at, p.SequenceNumber)
	if r.ctl == nil {
		return
	}
	if !r.tsStarted {
		r.tsStarted, r.tsLast, r.tsExt = true, p.Timestamp, int64(p.Timestamp)
	}
	ext := r.tsExt + int64(int32(p.Timestamp-r.tsLast))
	if ext > r.tsExt {
		r.tsExt, r.tsLast = ext, p.Timestamp
	}
	send := time.Duration(ext) * time.Millisecond / (rtpClockHz / 1000)
	// No OnSend: a receiver does not know the send rate (adapt.Features.SendRateBps is the
	// sender's). The model was trained on features with it, so its predictions here are out
	// of range and the rule ladder sets the target.
	r.ctl.Tracker.OnPacket(at, send, p.SequenceNumber, len(p.Payload)+OverheadBytes)
}

// Pull renders the audio due at time at into out (a Chunk of 48 kHz samples).
func (r *Receiver) Pull(at time.Duration, out []float32) { r.buf.Pull(at, out) }

// Buffer is the jitter buffer, for its Stats and playout start.
func (r *Receiver) Buffer() *jitter.Buffer { return r.buf }

// Log is the arrival log, for the feedback to the sender.
func (r *Receiver) Log() *ArrivalLog { return &r.log }

// DecideJitter runs the jitter controller at now with the latest RTT (0: none) and moves the
// buffer's target. No-op without a controller or before the first arrival.
func (r *Receiver) DecideJitter(now, rtt time.Duration) {
	if r.ctl == nil || r.log.Arrivals() == 0 {
		return
	}
	r.ctl.Tracker.OnRTT(now, rtt)
	d := r.ctl.Decide(now)
	r.trusted = r.ctl.LastPrediction().Trusted()
	r.decisions++
	r.target = d.JitterTarget
}

// JitterState is the jitter controller's decided target (above the base delay; the buffer
// adds one Chunk), how many decisions set it and whether the last came from the model. ok is
// false without a controller.
func (r *Receiver) JitterState() (target time.Duration, decisions uint64, trusted, ok bool) {
	return r.target, r.decisions, r.trusted, r.ctl != nil
}

// policy is the buffer's target policy under the controller: the decided target plus one
// playout chunk (a Pull decodes its whole chunk when it starts).
func (r *Receiver) policy(e jitter.Estimate) time.Duration { return r.target + e.Chunk }
