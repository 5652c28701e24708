package bench

import (
	"fmt"
	"time"

	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/internal/netem"
)

// SampleRateHz is the rate the pipeline runs at by default: the call path's 48 kHz.
// SendConfig.SampleRateHz selects another Opus rate (16 kHz, as most published sweeps use).
const SampleRateHz = 48000

// packetOverheadBytes is what each voice packet costs on the wire beyond its payload:
// IPv4 20 + UDP 8 + RTP 12 + SRTP auth tag 10. The link emulator's capacity sees it.
const packetOverheadBytes = 50

// redPayloadType is the Opus payload type inside RED blocks (as negotiated by browsers).
const redPayloadType = 111

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

// Run sends speech (48 kHz mono) through enc → packetizer → RED → link → rx in virtual time and
// returns the played-out audio. link is consumed (its state advances); rx must be fresh.
func Run(speech []float32, cfg SendConfig, link *netem.Link, rx Receiver) (Result, error) {
	frame := cfg.frame()
	rate := cfg.rate()
	if rate != SampleRateHz {
		var err error
		if speech, err = codec.Resample(speech, SampleRateHz, rate); err != nil {
			return Result{}, fmt.Errorf("%w: SampleRateHz: %v", ErrConfig, err)
		}
	}
	fs, err := codec.FrameSamples(rate, frame)
	if err != nil {
		return Result{}, fmt.Errorf("%w: Frame: %v", ErrConfig, err)
	}
	if len(speech) < fs {
		return Result{}, fmt.Errorf("%w: speech of %d samples is shorter than one frame", ErrConfig, len(speech))
	}
	if cfg.REDDepth < 0 || cfg.REDDepth > codec.MaxREDRedundancy {
		return Result{}, fmt.Errorf("%w: REDDepth %d (want 0 to %d)", ErrConfig, cfg.REDDepth, codec.MaxREDRedundancy)
	}
	enc, err := codec.NewEncoder(rate, cfg.Settings)
	if err != nil {
		return Result{}, fmt.Errorf("bench: %w", err)
	}
	var red *codec.Redundancy
	if cfg.REDDepth > 0 {
		var low *codec.Encoder
		if cfg.REDLowRateBps > 0 {
			low, err = codec.NewEncoder(rate, codec.Settings{BitrateBps: cfg.REDLowRateBps, Complexity: cfg.Settings.Complexity})
			if err != nil {
				return Result{}, fmt.Errorf("bench: low-rate RED encoder: %w", err)
			}
		}
		if red, err = codec.NewRedundancy(cfg.REDDepth, low); err != nil {
			return Result{}, fmt.Errorf("bench: %w", err)
		}
	}

	nFrames := len(speech) / fs
	sent := speech[:nFrames*fs]
	res := Result{Sent: sent, Duration: time.Duration(nFrames) * frame}

	// Send every frame; collect deliveries, then replay them with the playout clock in time order.
	var pz codec.Packetizer
	var arrivals []arrival
	opusBuf := make([]byte, codec.MaxPacketBytes)
	for k := range nFrames {
		at := time.Duration(k) * frame
		n, err := enc.Encode(sent[k*fs:(k+1)*fs], opusBuf)
		if err != nil {
			return Result{}, fmt.Errorf("bench: frame %d: %w", k, err)
		}
		h, send := pz.Next(n, frame)
		if !send {
			continue
		}
		p := Packet{SequenceNumber: h.SequenceNumber, Timestamp: h.Timestamp, Marker: h.Marker, FrameSamples: fs, SampleRateHz: rate}
		if red != nil {
			p.RED = true
			p.Payload, err = red.Pack(make([]byte, 0, n+64), redPayloadType, h.Timestamp, opusBuf[:n], sent[k*fs:(k+1)*fs])
			if err != nil {
				return Result{}, fmt.Errorf("bench: frame %d: %w", k, err)
			}
		} else {
			p.Payload = append([]byte(nil), opusBuf[:n]...)
		}
		res.PacketsSent++
		res.PayloadBytes += len(p.Payload)
		d := link.Send(at, len(p.Payload)+packetOverheadBytes)
		if d.Dropped {
			continue
		}
		arrivals = append(arrivals, arrival{at: d.At, p: p})
		if d.Dup {
			arrivals = append(arrivals, arrival{at: d.DupAt, p: p})
		}
	}
	res.Link = link.Stats()
	res.NetworkLoss = networkLoss(arrivals, res.PacketsSent)
	sortArrivals(arrivals)
	res.Receive, res.Received, res.Delay = playout(arrivals, rx, rate, res.Duration, len(sent), nil)
	return res, nil
}

// networkLoss is the fraction of sent packets of which no copy arrived.
func networkLoss(arrivals []arrival, sent int) float64 {
	if sent == 0 {
		return 0
	}
	delivered := map[uint16]bool{}
	for _, a := range arrivals {
		delivered[a.p.SequenceNumber] = true
	}
	return 1 - float64(len(delivered))/float64(sent)
}

// playout runs the receiver's playout clock from time 0 in PlayoutChunk steps, delivering the
// (time-sorted) arrivals as their times come, until a clip of duration dur has played after the
// receiver's own start (or a hard limit). beforeTick, when set, runs at each tick before the
// arrivals due by then are delivered. It returns the receiver's stats and the played-out audio
// aligned to the sent clip (n samples), and the playout delay of its first sample.
func playout(arrivals []arrival, rx Receiver, rateHz int, dur time.Duration, n int, beforeTick func(t time.Duration)) (ReceiveStats, []float32, time.Duration) {
	chunk := rateHz * int(PlayoutChunk/time.Millisecond) / 1000
	hardEnd := dur + 10*time.Second
	if len(arrivals) > 0 {
		hardEnd = max(hardEnd, arrivals[len(arrivals)-1].at+dur)
	}
	out := make([]float32, 0, int(hardEnd/PlayoutChunk)*chunk)
	buf := make([]float32, chunk)
	ai := 0
	for t := time.Duration(0); t < hardEnd; t += PlayoutChunk {
		if o, ok := rx.Origin(); ok && t >= o+dur {
			break
		}
		if beforeTick != nil {
			beforeTick(t)
		}
		for ai < len(arrivals) && arrivals[ai].at <= t {
			rx.Receive(arrivals[ai].at, arrivals[ai].p)
			ai++
		}
		rx.Play(t, buf)
		out = append(out, buf...)
	}
	received := make([]float32, n)
	var delay time.Duration
	if o, ok := rx.Origin(); ok {
		delay = o
		start := int(o / PlayoutChunk * time.Duration(chunk)) // o is on the playout grid
		if start >= 0 && start < len(out) {
			copy(received, out[start:])
		}
	}
	return rx.Stats(), received, delay
}

type arrival struct {
	at time.Duration
	p  Packet
}
