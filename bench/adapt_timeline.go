package bench

import (
	"slices"
	"time"

	"github.com/parley-voice/parley/internal/netem"
)

// Timeline is what happened during one strategy run, packet by packet and playout tick by
// playout tick: the input of the comparison's metrics and timeline plots. Times are virtual,
// from the start of the run.
type Timeline struct {
	Sends []SendEvent // in send order
	Ticks []Tick      // one per PlayoutChunk, from time 0
	// Steps are the sender's decisions (one per decision period; a single one for fixed
	// strategies).
	Steps []AdaptStep
	// Capacity is the link's rate schedule when it has one (the steps profile), else nil.
	Capacity []netem.RateStep
	// BufferDelay is the mean time a played packet's audio waited in the jitter buffer between
	// its arrival and its playout (webrtc-stats jitterBufferDelay / jitterBufferEmittedCount;
	// for a fixed buffer, over the packets that arrived in time).
	BufferDelay time.Duration
	// SpeechEnd is the capture time at which the speech the run scores ends (RunJob: the clip's
	// repetitions). What comes after it is the silence that flushes the sender's last frames:
	// under DTX the sender sends none of it and the receiver, with no packet after it, never
	// learns it was silence, so ticks playing audio captured from SpeechEnd on, and packets
	// captured from then on, count in no metric. Zero: every tick and packet counts.
	SpeechEnd time.Duration
}

// scored returns the ticks and sends the run metrics count: all of them, or with SpeechEnd set,
// the ticks playing audio captured before it (the others marked not Playing, in a copy) and the
// packets whose frame began before it.
func (tl *Timeline) scored() ([]Tick, []SendEvent) {
	if tl.SpeechEnd <= 0 {
		return tl.Ticks, tl.Sends
	}
	ticks := slices.Clone(tl.Ticks)
	for i := range ticks {
		if t := &ticks[i]; t.Playing && t.At-t.MouthToEar >= tl.SpeechEnd {
			t.Playing = false
		}
	}
	sends := tl.Sends
	for i, s := range tl.Sends {
		if s.At-time.Duration(s.FrameSamples)*time.Second/SampleRateHz >= tl.SpeechEnd {
			sends = tl.Sends[:i]
			break
		}
	}
	return ticks, sends
}

// SendEvent is one packet offered to the link.
type SendEvent struct {
	At           time.Duration
	WireBytes    int // payload plus packetOverheadBytes
	FrameSamples int // samples of the primary frame
	// Arrival is when the first copy arrived; negative when the link dropped the packet.
	Arrival time.Duration
	// Queue is the delivery delay minus the base propagation delay (queueing plus jitter);
	// negative when dropped.
	Queue time.Duration
	// QueueDrop says the packet was dropped by the bottleneck queue (overflow); random loss and
	// outages are not queue drops.
	QueueDrop bool
}

// Tick is one step of the playout clock.
type Tick struct {
	At time.Duration
	// Playing says the receiver has started playout (before that it plays silence and the tick
	// counts in no metric).
	Playing bool
	// Concealed is the number of samples of this tick's chunk (PlayoutChunk at 48 kHz) that
	// were concealment (PLC) rather than decoded or recovered audio.
	Concealed int
	// MouthToEar is when the audio of this tick plays minus when its first sample was captured,
	// including the frame's packetization (valid while Playing).
	MouthToEar time.Duration
	// Target is the receiver's jitter-buffer target (the fixed delay for a fixed buffer).
	Target time.Duration
	// BitrateBps and Frame are the sender's Opus settings in force at this time.
	BitrateBps int
	Frame      time.Duration
}

// chunkSamples is the number of samples in one playout tick.
const chunkSamples = SampleRateHz * int(PlayoutChunk/time.Millisecond) / 1000

// settingsAt returns the decision in force at time at (the first one before any).
func settingsAt(steps []AdaptStep, at time.Duration) (AdaptStep, bool) {
	if len(steps) == 0 {
		return AdaptStep{}, false
	}
	i := 0
	for i+1 < len(steps) && steps[i+1].At <= at {
		i++
	}
	return steps[i], true
}

// traceDelayAt is the extra one-way delay a segment trace adds at time at (its segments loop).
func traceDelayAt(t *netem.Trace, at time.Duration) time.Duration {
	if t == nil || len(t.Segments) == 0 {
		return 0
	}
	d := t.Duration()
	if d <= 0 {
		return 0
	}
	at %= d
	for _, s := range t.Segments {
		if at < s.Duration {
			return s.Delay
		}
		at -= s.Duration
	}
	return 0
}
