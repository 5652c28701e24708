package bench

import (
	"fmt"
	"time"

	"github.com/pion/rtp"

	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/engine/jitter"
	"github.com/parley-voice/parley/engine/media"
	"github.com/parley-voice/parley/internal/netem"
)

// redPayloadType is the Opus payload type inside RED blocks (as negotiated by browsers).
const redPayloadType = 111

// FeedbackOverheadBytes is what one arrival-feedback message costs on the wire beyond its
// bytes: it travels on the call's data channel, SCTP (common header 12, DATA chunk 16) in DTLS
// (record header 13, AES-GCM nonce and tag 24) in UDP/IPv4 (28).
const FeedbackOverheadBytes = 12 + 16 + 13 + 24 + 28

// loopConfig configures runLoop.
type loopConfig struct {
	// policy decides the send settings (its Initial ones to start with).
	policy media.Policy
	// codec is the encoder's fixed part (complexity, DTX, bandwidth limit).
	codec codec.Settings
	// rate is the rate speech is at, encoded, decoded and played (0: SampleRateHz).
	rate int
	// rx receives; a fresh *FixedReceiver or *AdaptiveReceiver. With follow set (an
	// *AdaptiveReceiver), the buffer's target is the decided JitterTarget (from target0 before
	// the first decision) plus one playout chunk.
	rx      Receiver
	follow  bool
	target0 time.Duration
	// floor (with follow): the decided JitterTarget is a floor under the buffer's own
	// (jitter.NetEqPolicy) target.
	floor bool
	// reverse carries the receiver's feedback back to the sender; nil sends none (for
	// policies that use none).
	reverse *netem.Link
	// timeline, when set, is filled with what happened.
	timeline *Timeline
}

// arrival is a packet delivered to the receiver at time at.
type arrival struct {
	at, sent time.Duration
	p        Packet
}

// message is a feedback message delivered to the sender at time at.
type message struct {
	at, sent time.Duration
	b        []byte
}

// linkWriter is the bench's media.PacketWriter: each packet goes over the emulated link at the
// send time the loop sets, and its deliveries wait in flight, in order of arrival.
type linkWriter struct {
	link     *netem.Link
	at       time.Duration // the send time of the packet being written
	fs       int           // its frame's samples
	rate     int           // the stream's sample rate
	base     time.Duration // the link's base delay
	trace    *netem.Trace
	inflight []arrival // sorted by arrival time, stably
	head     int       // inflight[:head] are delivered
	tl       *Timeline
	sends    int
	lost     int // sends the link dropped
}

func (w *linkWriter) REDPayloadType() (uint8, bool) { return redPayloadType, true }

func (w *linkWriter) WritePacket(h *rtp.Header, red bool, payload []byte) error {
	p := Packet{SequenceNumber: h.SequenceNumber, Timestamp: h.Timestamp, Marker: h.Marker, FrameSamples: w.fs, SampleRateHz: w.rate,
		RED: red, Payload: append([]byte(nil), payload...)}
	size := len(payload) + media.OverheadBytes
	d := w.link.Send(w.at, size)
	w.sends++
	ev := SendEvent{At: w.at, WireBytes: size, FrameSamples: w.fs, Arrival: -1, Queue: -1}
	if !d.Dropped {
		ev.Arrival = d.At
		ev.Queue = max(d.At-w.at-w.base-traceDelayAt(w.trace, w.at), 0)
		w.inflight = insertArrival(w.inflight, w.head, arrival{at: d.At, sent: w.at, p: p})
		if d.Dup {
			w.inflight = insertArrival(w.inflight, w.head, arrival{at: d.DupAt, sent: w.at, p: p})
		}
	} else {
		ev.QueueDrop = d.Reason == netem.DropQueue
		w.lost++
	}
	if w.tl != nil {
		w.tl.Sends = append(w.tl.Sends, ev)
	}
	return nil
}

// insertArrival inserts a into q[head:] (sorted by time), after every arrival at the same time.
func insertArrival(q []arrival, head int, a arrival) []arrival {
	q = append(q, a)
	for i := len(q) - 1; i > head && q[i].at < q[i-1].at; i-- {
		q[i], q[i-1] = q[i-1], q[i]
	}
	return q
}

// runLoop is the virtual-time call: the media core's send step (media.Sender) driven by
// cfg.policy through a media.Adapter, over link to cfg.rx, the receiver's arrival feedback
// (media.ArrivalLog) back over cfg.reverse at the engine's cadence, and the playout clock. It
// advances in PlayoutChunk ticks; at each tick t, in this order: the sender takes the feedback
// that arrived by t, the adapter decides if due (every media.Tick), the frame due at t is sent;
// the receiver takes the packets that arrived by t and, every media.FeedbackInterval, sends its
// feedback; then the playout clock plays the chunk due at t. link is consumed.
func runLoop(speech []float32, cfg loopConfig, link *netem.Link) (AdaptResult, error) {
	pol := cfg.policy
	cur := pol.Initial()
	rate := cfg.rate
	if rate == 0 {
		rate = SampleRateHz
	}
	snd, err := media.NewSender(media.SenderConfig{Codec: cfg.codec, Settings: cur, SampleRateHz: rate})
	if err != nil {
		return AdaptResult{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	ad := media.NewAdapter(pol)
	lc := link.Config()
	tl := cfg.timeline
	w := &linkWriter{link: link, rate: rate, base: lc.Delay.Base, trace: lc.Capacity.Trace, tl: tl}
	if tl != nil {
		tl.Capacity = lc.Capacity.Steps
	}
	rx := cfg.rx
	arx, _ := rx.(*AdaptiveReceiver)
	target := cfg.target0
	if cfg.follow && cfg.floor && arx != nil {
		// The buffer keeps its own (NetEq-like) target, raised to the decided floor.
		if arx.init() {
			arx.Buffer().SetTargetPolicy(func(e jitter.Estimate) time.Duration {
				return max(jitter.NetEqPolicy(e), target+e.Chunk)
			})
		}
	} else if cfg.follow && arx != nil {
		if arx.Config.InitialTarget == 0 {
			// Start playout at the policy's initial target rather than stretch up to it.
			arx.Config.InitialTarget = target + PlayoutChunk
		}
		if arx.init() {
			arx.Buffer().SetTargetPolicy(func(e jitter.Estimate) time.Duration { return target + e.Chunk })
		}
	}

	var (
		res       AdaptResult
		log       media.ArrivalLog
		fbBuf     = make([]byte, 0, media.FeedbackMaxSize)
		fbq       []message // feedback in flight to the sender, by arrival
		fbHead    int
		fwdDelay  = time.Duration(-1) // one-way delay of the last packet delivered
		revDelay  = time.Duration(-1) // ... and of the last feedback message
		lastRTT   time.Duration
		rttTaken  bool
		pos       int
		nextFrame time.Duration
		sending   = true
		dur       time.Duration
		hardEnd   time.Duration
		chunk     = rate * int(PlayoutChunk/time.Millisecond) / 1000
		out       []float32
		buf       = make([]float32, chunk)
		probe     = newTickProbe(rx)
	)
	res.Steps = append(res.Steps, AdaptStep{At: 0, Decision: media.Decision{Settings: cur, JitterTarget: target}})
	for t := time.Duration(0); ; t += PlayoutChunk {
		if !sending {
			if o, ok := rx.Origin(); ok && t >= o+dur || t >= hardEnd {
				break
			}
		}
		// The sender: feedback, decision, the frame due now.
		if sending {
			for fbHead < len(fbq) && fbq[fbHead].at <= t {
				m := fbq[fbHead]
				fbHead++
				revDelay = m.at - m.sent
				_ = ad.OnFeedback(m.at, m.b) // the receiver's own messages are well formed
			}
			if t%media.Tick == 0 {
				if !rttTaken || t-lastRTT >= media.RTTInterval-media.Tick/2 {
					rttTaken, lastRTT = true, t
					if fwdDelay >= 0 && revDelay >= 0 {
						ad.OnRTT(fwdDelay + revDelay) // what ICE's consent checks measure live
					}
				}
				if d, ok := ad.Tick(t, media.Tick); ok {
					if d.Settings != snd.Settings() || d.JitterTarget != target && cfg.follow {
						res.Changes++
					}
					if err := snd.Apply(d.Settings); err != nil {
						return res, fmt.Errorf("bench: at %v: policy decided %+v: %w", t, d.Settings, err)
					}
					if cfg.follow {
						target = d.JitterTarget
					}
					step := AdaptStep{At: t, Decision: d}
					if last := &res.Steps[len(res.Steps)-1]; last.At == t {
						*last = step
					} else {
						res.Steps = append(res.Steps, step)
					}
				}
			}
			if nextFrame <= t {
				fs := snd.FrameSamples()
				if pos+fs > len(speech) {
					sending, dur = false, nextFrame
					hardEnd = dur + 10*time.Second
					if n := len(w.inflight); n > 0 {
						hardEnd = max(hardEnd, w.inflight[n-1].at+dur)
					}
					if o, ok := rx.Origin(); ok && t >= o+dur {
						break
					}
				} else {
					w.at, w.fs = t, fs
					s, err := snd.Send(speech[pos:pos+fs], w)
					if err != nil {
						return res, fmt.Errorf("bench: at %v: %w", t, err)
					}
					if s.Packet {
						res.PacketsSent++
						res.PayloadBytes += s.PayloadBytes
					}
					ad.OnSend(t, s)
					pos += fs
					nextFrame += s.Frame
				}
			}
		}
		// The receiver: the state after the previous tick, the packets that arrived by now,
		// feedback.
		if tl != nil && t > 0 {
			tk := probe.sample(t-PlayoutChunk, tl.Ticks)
			if s, ok := settingsAt(res.Steps, t-PlayoutChunk-tk.MouthToEar); ok {
				tk.BitrateBps, tk.Frame = s.Decision.BitrateBps, s.Decision.Frame
				if tk.Playing {
					tk.MouthToEar += s.Decision.Frame
				}
			}
			tl.Ticks = append(tl.Ticks, tk)
		}
		for w.head < len(w.inflight) && w.inflight[w.head].at <= t {
			a := w.inflight[w.head]
			w.head++
			rx.Receive(a.at, a.p)
			log.OnPacket(a.at, a.p.SequenceNumber)
			fwdDelay = a.at - a.sent
		}
		if sending && cfg.reverse != nil && t%media.Tick == 0 && log.FeedbackDue(t, media.Tick) {
			if b := log.AppendFeedback(t, fbBuf[:0]); len(b) > 0 {
				d := cfg.reverse.Send(t, len(b)+FeedbackOverheadBytes)
				if !d.Dropped {
					fbq = insertMessage(fbq, fbHead, message{at: d.At, sent: t, b: append([]byte(nil), b...)})
					if d.Dup {
						fbq = insertMessage(fbq, fbHead, message{at: d.DupAt, sent: t, b: append([]byte(nil), b...)})
					}
				}
			}
		}
		rx.Play(t, buf)
		out = append(out, buf...)
	}
	res.Sent = speech[:pos]
	res.Duration = dur
	res.Link = link.Stats()
	if w.sends > 0 {
		res.NetworkLoss = float64(w.lost) / float64(w.sends)
	}
	res.Received = make([]float32, pos)
	if o, ok := rx.Origin(); ok {
		res.Delay = o
		start := int(o / PlayoutChunk * time.Duration(chunk)) // o is on the playout grid
		if start >= 0 && start < len(out) {
			copy(res.Received, out[start:])
		}
	}
	res.Receive = rx.Stats()
	if tl != nil {
		tl.Steps = res.Steps
		tl.BufferDelay = bufferDelay(rx, tl.Sends)
	}
	return res, nil
}

// insertMessage inserts m into q[head:] (sorted by time), after every message at the same time.
func insertMessage(q []message, head int, m message) []message {
	q = append(q, m)
	for i := len(q) - 1; i > head && q[i].at < q[i-1].at; i-- {
		q[i], q[i-1] = q[i-1], q[i]
	}
	return q
}
