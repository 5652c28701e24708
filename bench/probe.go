package bench

import (
	"time"
)

// bufferDelay is Timeline.BufferDelay of a finished run.
func bufferDelay(rx Receiver, sends []SendEvent) time.Duration {
	switch rx := rx.(type) {
	case *AdaptiveReceiver:
		if b := rx.Buffer(); b != nil {
			return b.Stats().MeanDelay()
		}
	case *FixedReceiver:
		o, ok := rx.Origin()
		if !ok {
			return 0
		}
		// Capture time equals send time here (RTP timestamp 0 at time 0), so a packet sent at s
		// plays at o + s.
		var sum time.Duration
		n := 0
		for _, s := range sends {
			if w := o + s.At - s.Arrival; s.Arrival >= 0 && w >= 0 {
				sum += w
				n++
			}
		}
		if n > 0 {
			return sum / time.Duration(n)
		}
	}
	return 0
}

// tickProbe reads a receiver's state once per playout tick.
type tickProbe struct {
	rx      Receiver
	lastEm  uint64 // adaptive: samples emitted from packets so far
	lastDTX uint64 // adaptive: comfort-noise samples so far
	dtx     int    // adaptive: comfort noise not yet subtracted from a tick
	lastFr  int    // fixed: concealed frames so far
	backlog int    // fixed: concealed samples not yet attributed to a tick
}

// unconcealSlack is how much playout without concealment may lie between the end of the
// timeline and the concealment a receiver takes back: the frame or two it decoded between
// playing the concealment and learning from the next packet that it was silence (a frame it
// recognised as silence itself, the packet's own frame), at most one frame of the longest size.
const unconcealSlack = SampleRateHz * 60 / 1000

// unconceal takes up to n samples of concealment back from the last run of concealed ticks of
// the timeline so far (the most recent first), which ends at most unconcealSlack samples of
// other playout before its end: audio a receiver played as concealment and learned only
// afterwards was the sender's DTX silence. It returns how many it took.
func unconceal(ticks []Tick, n int) int {
	took, skipped := 0, 0
	for i := len(ticks) - 1; i >= 0 && n > took; i-- {
		t := &ticks[i]
		if !t.Playing {
			break
		}
		if t.Concealed == 0 {
			if took > 0 || skipped+chunkSamples > unconcealSlack {
				break
			}
			skipped += chunkSamples
			continue
		}
		d := min(t.Concealed, n-took)
		t.Concealed -= d
		took += d
	}
	return took
}

func newTickProbe(rx Receiver) *tickProbe { return &tickProbe{rx: rx} }

// sample returns the tick that played at time at (called after its Play); past holds the
// ticks sampled before it, whose Concealed it lowers where the receiver has since learned that
// what it concealed was the sender's DTX silence.
//
// For the engine's buffer, a tick's concealment is the part of its chunk that did not come
// from a packet (primary, RED or FEC: jitterBufferEmittedCount), less the comfort noise of the
// sender's DTX silence (DTXSamples). The buffer's ConcealedSamples counter cannot serve: it
// books concealment that waited for a late packet only when that packet (or the next) arrives,
// long after it played. Comfort noise is booked when the buffer knows it for silence: at
// render time when the packet after the silence is already buffered (this tick's chunk, or the
// next one's), or when that packet arrives after the buffer held its position concealing (the
// ticks just played). It is taken from this tick first, then from the run of concealed ticks
// just before it, and what is left from the ticks that follow.
//
// A FixedReceiver conceals a frame it has no packet for and books it as silence when the next
// packet shows that nothing was sent (settleRun); that concealment is taken back from the
// samples not yet attributed, then from the ticks just before.
func (p *tickProbe) sample(at time.Duration, past []Tick) Tick {
	tk := Tick{At: at}
	switch rx := p.rx.(type) {
	case *AdaptiveReceiver:
		b := rx.Buffer()
		if b == nil {
			return tk
		}
		s := b.Stats()
		tk.Target = s.TargetDelay
		_, _, playing := b.PlayoutStart()
		if !playing {
			p.lastEm, p.lastDTX = s.JitterBufferEmittedCount, s.DTXSamples
			return tk
		}
		tk.Playing = true
		conc := max(0, chunkSamples-int(s.JitterBufferEmittedCount-p.lastEm))
		p.dtx += int(s.DTXSamples - p.lastDTX)
		d := min(p.dtx, conc)
		tk.Concealed, p.dtx = conc-d, p.dtx-d
		if p.dtx > 0 && d == conc {
			p.dtx -= unconceal(past, p.dtx)
		}
		p.lastEm, p.lastDTX = s.JitterBufferEmittedCount, s.DTXSamples
		if mt, ok := rx.minTransit(); ok {
			tk.MouthToEar = s.Margin + mt
		}
	case *FixedReceiver:
		tk.Target = rx.delay()
		o, ok := rx.Origin()
		if !ok || at < o {
			return tk
		}
		tk.Playing = true
		tk.MouthToEar = o
		s := rx.Stats()
		switch d := s.Concealed - p.lastFr; {
		case d > 0:
			p.backlog += d * rx.fs
		case d < 0: // concealed frames settled as DTX silence
			n := -d * rx.fs
			b := min(n, p.backlog)
			p.backlog -= b
			unconceal(past, n-b)
		}
		p.lastFr = s.Concealed
		tk.Concealed = min(p.backlog, chunkSamples)
		p.backlog -= tk.Concealed
	}
	return tk
}
