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

func newTickProbe(rx Receiver) *tickProbe { return &tickProbe{rx: rx} }

// sample returns the tick that played at time at (called after its Play).
//
// For the engine's buffer, a tick's concealment is the part of its chunk that did not come
// from a packet (primary, RED or FEC: jitterBufferEmittedCount), less the comfort noise of the
// sender's DTX silence. The buffer's ConcealedSamples counter cannot serve: it books concealment
// that waited for a late packet only when that packet (or the next) arrives, long after it
// played.
func (p *tickProbe) sample(at time.Duration) Tick {
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
		if d := s.Concealed - p.lastFr; d > 0 {
			p.backlog += d * rx.fs
		}
		p.lastFr = s.Concealed
		tk.Concealed = min(p.backlog, chunkSamples)
		p.backlog -= tk.Concealed
	}
	return tk
}
