package bench

import (
	"fmt"
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/engine/jitter"
	"github.com/parley-voice/parley/internal/netem"
)

// senderPolicy is a strategy's control loop: it sees every packet the sender sends and, with a
// delay, the receiver's view of each arrival, and decides the sender's settings (and, when the
// receiver follows it, the jitter-buffer target) every period. Implementations are
// single-threaded and deterministic.
type senderPolicy interface {
	// initial is the settings before the first decision.
	initial() adapt.Settings
	// period is the decision period.
	period() time.Duration
	// onSend reports a packet handed to the link at time at.
	onSend(at time.Duration, seq uint16, wireBytes int)
	// onFeedback reports an arrival the sender learns of at time now.
	onFeedback(now time.Duration, fb feedback)
	// decide returns the decision at time now; feedback visible by now has been reported.
	decide(now time.Duration) adapt.Decision
}

// loopConfig configures runLoop.
type loopConfig struct {
	policy senderPolicy
	// feedbackDelay is how long after an arrival the sender learns of it.
	feedbackDelay time.Duration
	complexity    int
	// rx receives; a fresh *FixedReceiver or *AdaptiveReceiver. With follow set (an
	// *AdaptiveReceiver), the buffer's target is the decided JitterTarget plus one playout chunk.
	rx     Receiver
	follow bool
	// timeline, when set, is filled with what happened.
	timeline *Timeline
}

// runLoop is the virtual-time pipeline with a sender whose settings change as cfg.policy
// decides from delayed feedback: encode → packetize → RED → link → receiver. link is consumed.
func runLoop(speech []float32, cfg loopConfig, link *netem.Link) (AdaptResult, error) {
	pol := cfg.policy
	cur := pol.initial()
	every := pol.period()
	if cfg.feedbackDelay <= 0 {
		cfg.feedbackDelay = 100 * time.Millisecond
	}
	arx, _ := cfg.rx.(*AdaptiveReceiver)
	if cfg.follow && arx != nil && arx.Config.InitialTarget == 0 {
		// Start playout at the policy's initial target rather than stretch up to it.
		arx.Config.InitialTarget = cur.JitterTarget + PlayoutChunk
	}
	settings := codec.Settings{BitrateBps: cur.BitrateBps, Complexity: cfg.complexity, MaxBandwidth: codec.BandwidthAuto,
		FEC: cur.FEC, LossHint: cur.LossHint}
	if settings.Complexity == 0 {
		settings.Complexity = codec.DefaultSettings().Complexity
	}
	enc, err := codec.NewEncoder(SampleRateHz, settings)
	if err != nil {
		return AdaptResult{}, fmt.Errorf("bench: %w", err)
	}
	var low *codec.Encoder // made on first use
	var red *codec.Redundancy
	redDepth, redLow := -1, -1
	setRED := func(depth, lowBps int) error {
		if depth == redDepth && lowBps == redLow {
			return nil
		}
		redDepth, redLow, red = depth, lowBps, nil
		if depth <= 0 {
			return nil
		}
		var l *codec.Encoder
		if lowBps > 0 {
			if low == nil {
				if low, err = codec.NewEncoder(SampleRateHz, codec.Settings{BitrateBps: lowBps, Complexity: settings.Complexity}); err != nil {
					return fmt.Errorf("bench: low-rate RED encoder: %w", err)
				}
			} else if err := low.Apply(codec.Settings{BitrateBps: lowBps, Complexity: settings.Complexity}); err != nil {
				return fmt.Errorf("bench: low-rate RED encoder: %w", err)
			}
			l = low
		}
		red, err = codec.NewRedundancy(depth, l)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		return nil
	}
	if err := setRED(cur.REDDepth, cur.REDLowRateBps); err != nil {
		return AdaptResult{}, err
	}

	lc := link.Config()
	var trace *netem.Trace
	if lc.Capacity.Trace != nil {
		trace = lc.Capacity.Trace
	}
	tl := cfg.timeline
	if tl != nil {
		tl.Capacity = lc.Capacity.Steps
	}

	var res AdaptResult
	var pz codec.Packetizer
	var arrivals []arrival
	var pending []feedback
	opusBuf := make([]byte, codec.MaxPacketBytes)
	nextDecision := time.Duration(0)
	pos := 0
	at := time.Duration(0)
	for {
		if at >= nextDecision {
			n := 0
			for _, p := range pending {
				if p.visible > at {
					break
				}
				pol.onFeedback(at, p)
				n++
			}
			pending = pending[n:]
			d := pol.decide(at)
			res.Steps = append(res.Steps, AdaptStep{At: at, Decision: d})
			if d.Changed {
				res.Changes++
			}
			cur = d.Settings
			settings.BitrateBps, settings.FEC, settings.LossHint = cur.BitrateBps, cur.FEC, cur.LossHint
			if err := enc.Apply(settings); err != nil {
				return res, fmt.Errorf("bench: %w", err)
			}
			if err := setRED(cur.REDDepth, cur.REDLowRateBps); err != nil {
				return res, err
			}
			nextDecision = at + every
		}
		frame := cur.Frame
		fs, err := codec.FrameSamples(SampleRateHz, frame)
		if err != nil {
			return res, fmt.Errorf("%w: Frame: %v", ErrConfig, err)
		}
		if pos+fs > len(speech) {
			break
		}
		pcm := speech[pos : pos+fs]
		n, err := enc.Encode(pcm, opusBuf)
		if err != nil {
			return res, fmt.Errorf("bench: at %v: %w", at, err)
		}
		h, send := pz.Next(n, frame)
		if send {
			p := Packet{SequenceNumber: h.SequenceNumber, Timestamp: h.Timestamp, Marker: h.Marker, FrameSamples: fs}
			if red != nil {
				p.RED = true
				p.Payload, err = red.Pack(make([]byte, 0, n+256), redPayloadType, h.Timestamp, opusBuf[:n], pcm)
				if err != nil {
					return res, fmt.Errorf("bench: at %v: %w", at, err)
				}
			} else {
				p.Payload = append([]byte(nil), opusBuf[:n]...)
			}
			res.PacketsSent++
			res.PayloadBytes += len(p.Payload)
			size := len(p.Payload) + packetOverheadBytes
			pol.onSend(at, h.SequenceNumber, size)
			d := link.Send(at, size)
			ev := SendEvent{At: at, WireBytes: size, FrameSamples: fs, Arrival: -1, Queue: -1}
			if !d.Dropped {
				ev.Arrival = d.At
				ev.Queue = max(d.At-at-lc.Delay.Base-traceDelayAt(trace, at), 0)
				arrivals = append(arrivals, arrival{at: d.At, p: p})
				pending = append(pending, feedback{visible: d.At + cfg.feedbackDelay, arrival: d.At, send: at, seq: h.SequenceNumber, size: size})
				if d.Dup {
					arrivals = append(arrivals, arrival{at: d.DupAt, p: p})
				}
			} else {
				ev.QueueDrop = d.Reason == netem.DropQueue
			}
			if tl != nil {
				tl.Sends = append(tl.Sends, ev)
			}
			// Deliveries can come back out of send order (reordering, a queue draining): keep
			// the feedback sorted by visibility.
			for i := len(pending) - 1; i > 0 && pending[i].visible < pending[i-1].visible; i-- {
				pending[i], pending[i-1] = pending[i-1], pending[i]
			}
		}
		pos += fs
		at += frame
	}
	res.Sent = speech[:pos]
	res.Duration = at
	res.Link = link.Stats()
	res.NetworkLoss = networkLoss(arrivals, res.PacketsSent)
	sortArrivals(arrivals)
	if tl != nil {
		tl.Steps = res.Steps
	}

	// Playout, with the jitter target following the decisions when asked to.
	var targets []AdaptStep
	target := cur.JitterTarget
	if cfg.follow && arx != nil {
		targets = res.Steps
		if len(targets) > 0 {
			target = targets[0].Decision.JitterTarget
		}
		policy := func(e jitter.Estimate) time.Duration { return target + e.Chunk }
		if arx.init() {
			arx.Buffer().SetTargetPolicy(policy) // from the first packet on
		}
	}
	ti := 0
	probe := newTickProbe(cfg.rx)
	res.Receive, res.Received, res.Delay = playout(arrivals, cfg.rx, SampleRateHz, res.Duration, len(res.Sent), func(t time.Duration) {
		for ti < len(targets) && targets[ti].At <= t {
			target = targets[ti].Decision.JitterTarget
			ti++
		}
		if tl != nil && t > 0 {
			// The receiver's state after the previous tick's Play.
			tk := probe.sample(t - PlayoutChunk)
			if s, ok := settingsAt(res.Steps, t-PlayoutChunk-tk.MouthToEar); ok {
				tk.BitrateBps, tk.Frame = s.Decision.BitrateBps, s.Decision.Frame
				if tk.Playing {
					tk.MouthToEar += s.Decision.Frame
				}
			}
			tl.Ticks = append(tl.Ticks, tk)
		}
	})
	if tl != nil {
		tl.BufferDelay = bufferDelay(cfg.rx, tl.Sends)
	}
	return res, nil
}

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

// adaptPolicy drives an adapt.Controller as RunAdaptive always has: the tracker sees the
// receiver's view as of the feedback delay ago and an RTT sample once a second.
type adaptPolicy struct {
	ctl           *adapt.Controller
	every, fbWait time.Duration
	nextRTT       time.Duration
}

func (a *adaptPolicy) initial() adapt.Settings { return a.ctl.Policy.Current() }
func (a *adaptPolicy) period() time.Duration   { return a.every }
func (a *adaptPolicy) onSend(at time.Duration, _ uint16, size int) {
	a.ctl.Tracker.OnSend(at, size)
}
func (a *adaptPolicy) onFeedback(_ time.Duration, p feedback) {
	a.ctl.Tracker.OnPacket(p.arrival, p.send, p.seq, p.size)
	if p.arrival >= a.nextRTT {
		a.ctl.Tracker.OnRTT(p.arrival, p.arrival-p.send+a.fbWait)
		a.nextRTT = p.arrival + time.Second
	}
}
func (a *adaptPolicy) decide(now time.Duration) adapt.Decision {
	return a.ctl.Decide(max(now-a.fbWait, 0))
}
