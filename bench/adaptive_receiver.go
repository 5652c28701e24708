package bench

import (
	"time"

	"github.com/parley-voice/parley/engine/jitter"
	"github.com/parley-voice/parley/engine/media"
)

// AdaptiveReceiver is the media core's receive step (media.Receiver over the engine's jitter
// buffer) as a Receiver: an adaptive target delay, time-stretching, and recovery from RED,
// in-band FEC (when Config.FEC is set) and PLC. The zero value uses jitter's defaults without
// FEC. Not safe for concurrent use.
//
// Origin is the playout time of RTP timestamp 0 at the start of playout: when the first Play
// that played audio was called, less the first played sample's timestamp. The buffer then
// moves its delay by time-stretching and by concealment that waits for late packets, so later
// audio plays earlier or later than Origin says; Run's alignment by Origin is therefore exact
// only at the start, and PESQ, which aligns each utterance on its own, absorbs the rest. For the
// same reason Run may stop a little before the last samples of a clip have played when the
// buffer ended with more delay than it started with.
type AdaptiveReceiver struct {
	// Config configures the buffer; set it before the first Receive.
	Config jitter.Config
	// Target, when set, is the buffer's target policy (jitter.DefaultPolicy otherwise).
	Target jitter.TargetPolicy

	mr  *media.Receiver
	buf *jitter.Buffer
	err error
	fs  int // samples per frame, from the first packet

	// transits holds (arrival, arrival − capture time) of the packets of the last
	// transitWindow, for the mouth-to-ear delay: the buffer's margin is measured from the
	// fastest of them, as its estimator's is.
	transits []transitSample
}

// transitWindow is how far back minTransit looks (the jitter estimator's window).
const transitWindow = 2 * time.Second

type transitSample struct{ at, transit time.Duration }

// minTransit is the smallest transit time (arrival − capture of the packet's first sample) of
// the packets that arrived within transitWindow of the last one.
func (r *AdaptiveReceiver) minTransit() (time.Duration, bool) {
	if len(r.transits) == 0 {
		return 0, false
	}
	m := r.transits[0].transit
	for _, s := range r.transits[1:] {
		m = min(m, s.transit)
	}
	return m, true
}

// init makes the buffer on first use.
func (r *AdaptiveReceiver) init() bool {
	if r.buf == nil && r.err == nil {
		r.mr, r.err = media.NewReceiver(media.ReceiverConfig{Jitter: r.Config, JitterPolicy: r.Target})
		if r.err == nil {
			r.buf = r.mr.Buffer()
		}
	}
	return r.err == nil
}

// Err reports a failure to create the buffer (the receiver then plays silence).
func (r *AdaptiveReceiver) Err() error { return r.err }

// Buffer is the underlying jitter buffer (nil before the first Receive), for its full Stats.
func (r *AdaptiveReceiver) Buffer() *jitter.Buffer { return r.buf }

// Receive implements Receiver. Dropped packets (late, duplicate, malformed) are counted by the
// buffer.
func (r *AdaptiveReceiver) Receive(at time.Duration, p Packet) {
	if !r.init() {
		return
	}
	if r.fs == 0 {
		r.fs = p.FrameSamples
	}
	k := 0
	for k < len(r.transits) && at-r.transits[k].at > transitWindow {
		k++
	}
	r.transits = append(r.transits[:0], r.transits[k:]...)
	r.transits = append(r.transits, transitSample{at: at, transit: at - time.Duration(p.Timestamp)*time.Second/SampleRateHz})
	r.mr.Push(at, jitter.Packet{SequenceNumber: p.SequenceNumber, Timestamp: p.Timestamp, RED: p.RED, Payload: p.Payload})
}

// Play implements Receiver.
func (r *AdaptiveReceiver) Play(at time.Duration, out []float32) {
	if r.buf == nil {
		clear(out)
		return
	}
	r.mr.Pull(at, out)
}

// Origin implements Receiver; see the type's documentation for what it means here.
func (r *AdaptiveReceiver) Origin() (time.Duration, bool) {
	if r.buf == nil {
		return 0, false
	}
	at, ts, ok := r.buf.PlayoutStart()
	return at - time.Duration(ts)*time.Second/SampleRateHz, ok
}

// Stats implements Receiver, converting the buffer's sample counters to frames of the sender's
// size: Frames are the frames' worth of audio played, Concealed the PLC output (including PLC
// that covered a late packet before it played), Silent the comfort noise of DTX silence, Late
// the discarded packets.
func (r *AdaptiveReceiver) Stats() ReceiveStats {
	if r.buf == nil || r.fs == 0 {
		return ReceiveStats{}
	}
	s := r.buf.Stats()
	frames := func(samples uint64) int { return int((samples + uint64(r.fs)/2) / uint64(r.fs)) }
	return ReceiveStats{
		Frames:        frames(s.TotalSamplesReceived),
		Decoded:       int(s.FramesDecoded),
		RecoveredRED:  int(s.FramesRecoveredRED),
		RecoveredFEC:  int(s.FramesRecoveredFEC),
		RecoveredDRED: int(s.FramesRecoveredDRED),
		Concealed:     frames(s.ConcealedSamples),
		Late:          int(s.PacketsDiscarded),
		Silent:        frames(s.DTXSamples),
	}
}
