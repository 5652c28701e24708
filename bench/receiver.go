package bench

import (
	"time"

	"github.com/parley-voice/parley/codec"
)

// DefaultFixedDelay is FixedReceiver's jitter-buffer delay when Delay is zero.
const DefaultFixedDelay = 80 * time.Millisecond

// FixedReceiver is a fixed-delay jitter buffer: playout starts Delay after the first packet
// arrives (rounded up to the playout clock) and then runs at a steady rate; a frame whose packet
// is not there at its playout time is recovered from a RED copy, else from the next packet's
// in-band FEC, else concealed by PLC; packets arriving after their frame played count as late
// and are discarded. The zero value uses DefaultFixedDelay. Not safe for concurrent use.
//
// Frames the sender suppressed under DTX cannot always be told from losses while they play: a
// missing frame whose successor is already buffered with the next sequence number is silence;
// otherwise it is concealed, and reclassified from Concealed to Silent when the next packet
// turns out to carry the next sequence number.
type FixedReceiver struct {
	Delay time.Duration
	// FEC says the sender's in-band FEC was negotiated (SDP useinbandfec=1): a lost frame is then
	// decoded from the next packet's FEC data when that packet carries some (codec.PacketHasFEC).
	// Otherwise the receiver conceals by PLC.
	FEC bool
	// Complexity is the decoder complexity (codec.DecoderDeepPLC and up: Deep PLC, OSCE); 0 is
	// classic libopus 1.3 behaviour. A level the linked libopus lacks makes Err report it.
	Complexity int
	// DRED rebuilds a frame that primary, RED and FEC could not from the DRED data of the
	// earliest later packet already buffered (libopus 1.5; the sender sets codec.Settings.DRED).
	// How far ahead that packet can be is the jitter buffer's Delay.
	DRED bool

	dec     *codec.Decoder
	dred    *codec.DRED
	dredTS  uint32 // timestamp of the packet whose DRED dred holds
	dredOK  bool   // dred holds a parse of dredTS
	rate    int    // stream sample rate
	tsStep  uint32 // RTP timestamp units per frame
	err     error
	started bool
	origin  time.Duration // playout time of RTP timestamp 0
	fs      int           // samples per frame
	nextTS  uint32        // timestamp of the next frame to decode
	prim    map[uint32]Packet
	red     map[uint32][]byte
	blocks  []codec.REDBlock

	lastSeq uint16
	haveSeq bool
	// Frames rendered without their own packet since the last decoded primary, by how; settled
	// against the sequence-number gap when the next primary arrives.
	runConcealed, runFEC, runRED, runDRED int
	pcm                                   []float32
	pend                                  []float32 // decoded, not yet played
	stats                                 ReceiveStats
}

// Origin implements Receiver.
func (r *FixedReceiver) Origin() (time.Duration, bool) { return r.origin, r.started }

// Stats implements Receiver.
func (r *FixedReceiver) Stats() ReceiveStats { return r.stats }

// Err reports a decoder failure (the receiver plays silence after one).
func (r *FixedReceiver) Err() error { return r.err }

func (r *FixedReceiver) delay() time.Duration {
	if r.Delay <= 0 {
		return DefaultFixedDelay
	}
	return r.Delay
}

// Receive implements Receiver.
func (r *FixedReceiver) Receive(at time.Duration, p Packet) {
	if r.prim == nil {
		r.prim = map[uint32]Packet{}
		r.red = map[uint32][]byte{}
		r.rate = p.SampleRateHz
		if r.rate == 0 {
			r.rate = SampleRateHz
		}
		r.dec, r.err = codec.NewDecoder(r.rate)
		if r.err == nil && r.Complexity != 0 {
			r.err = r.dec.SetComplexity(r.Complexity)
		}
		if r.err == nil && r.DRED {
			r.dred, r.err = codec.NewDRED(r.rate)
		}
		r.pcm = make([]float32, r.rate*120/1000)
	}
	if !r.started {
		r.started = true
		r.fs = p.FrameSamples
		r.tsStep = uint32(p.FrameSamples * codec.RTPClockHz / r.rate)
		r.nextTS = p.Timestamp
		start := at + r.delay()
		start = (start + PlayoutChunk - 1) / PlayoutChunk * PlayoutChunk
		r.origin = start - time.Duration(p.Timestamp)*time.Second/codec.RTPClockHz
	}
	if int32(p.Timestamp-r.nextTS) < 0 {
		r.stats.Late++
		return
	}
	primary := p.Payload
	if p.RED {
		var err error
		r.blocks, err = codec.UnpackRED(p.Payload, r.blocks)
		if err != nil {
			return // a malformed packet is dropped, like a lost one
		}
		for _, b := range r.blocks[:len(r.blocks)-1] {
			ts := p.Timestamp - b.TimestampOffset
			if int32(ts-r.nextTS) < 0 || len(b.Data) == 0 {
				continue
			}
			if _, ok := r.red[ts]; !ok {
				r.red[ts] = append([]byte(nil), b.Data...)
			}
		}
		primary = r.blocks[len(r.blocks)-1].Data
	}
	p.Payload = append([]byte(nil), primary...)
	r.prim[p.Timestamp] = p
}

// Play implements Receiver.
func (r *FixedReceiver) Play(at time.Duration, out []float32) {
	if !r.started || at < r.origin+time.Duration(r.nextTS)*time.Second/codec.RTPClockHz && len(r.pend) == 0 {
		clear(out)
		return
	}
	for n := 0; n < len(out); {
		if len(r.pend) == 0 {
			r.decodeNext()
		}
		c := copy(out[n:], r.pend)
		r.pend = r.pend[c:]
		n += c
	}
}

// decodeNext renders the frame at nextTS into pend.
func (r *FixedReceiver) decodeNext() {
	ts := r.nextTS
	r.nextTS += r.tsStep
	frame := r.pcm[:r.fs]
	r.stats.Frames++
	if r.err != nil {
		clear(frame)
		r.pend = frame
		return
	}
	if p, ok := r.prim[ts]; ok {
		delete(r.prim, ts)
		delete(r.red, ts)
		if r.haveSeq {
			r.settleRun(int(p.SequenceNumber - r.lastSeq - 1))
		}
		r.lastSeq, r.haveSeq = p.SequenceNumber, true
		r.runConcealed, r.runFEC, r.runRED, r.runDRED = 0, 0, 0, 0
		if n, err := r.dec.Decode(p.Payload, r.pcm); err == nil && n == r.fs {
			r.stats.Decoded++
			r.pend = r.pcm[:n]
			return
		}
		// Undecodable primary: fall through to concealment.
	}
	if next, ok := r.prim[ts+r.tsStep]; ok && r.haveSeq && next.SequenceNumber == r.lastSeq+1 {
		// The following frame's packet carries the next sequence number: nothing was sent for
		// this one (DTX). Comfort noise, counted as silence.
		r.stats.Silent++
		if err := r.dec.DecodePLC(frame); err != nil {
			clear(frame)
		}
		r.pend = frame
		return
	}
	if b, ok := r.red[ts]; ok {
		delete(r.red, ts)
		if n, err := r.dec.Decode(b, r.pcm); err == nil && n == r.fs {
			r.stats.RecoveredRED++
			r.runRED++
			r.pend = r.pcm[:n]
			return
		}
	}
	if next, ok := r.prim[ts+r.tsStep]; ok && r.FEC && hasFEC(next.Payload) {
		if err := r.dec.DecodeFEC(next.Payload, frame); err == nil {
			r.stats.RecoveredFEC++
			r.runFEC++
			r.pend = frame
			return
		}
	}
	if r.dred != nil && r.recoverDRED(ts, frame) {
		r.stats.RecoveredDRED++
		r.runDRED++
		r.pend = frame
		return
	}
	if err := r.dec.DecodePLC(frame); err != nil {
		clear(frame)
	}
	r.stats.Concealed++
	r.runConcealed++
	r.pend = frame
}

// settleRun reconciles the frames rendered without their own packet since the last primary with
// the number of packets actually missing in between: only that many frames were lost; the rest
// were DTX silence. A RED copy proves its frame was sent; an FEC or DRED decode does not (the
// encoder codes FEC data for a frame it did not send, and DRED covers silence too), so excess is
// taken from concealed frames first, then from FEC decodes, then from DRED decodes.
func (r *FixedReceiver) settleRun(missing int) {
	excess := r.runConcealed + r.runFEC + r.runRED + r.runDRED - missing
	if excess <= 0 {
		return
	}
	c := min(excess, r.runConcealed)
	r.stats.Concealed -= c
	f := min(excess-c, r.runFEC)
	r.stats.RecoveredFEC -= f
	d := min(excess-c-f, r.runDRED)
	r.stats.RecoveredDRED -= d
	r.stats.Silent += c + f + d
}

// dredMaxLookahead bounds the search for a later packet: DRED reaches at most about 1 s back.
const dredMaxLookahead = time.Second

// recoverDRED rebuilds the frame at ts from the DRED data of the earliest buffered packet after
// it, parsing that packet once for the whole burst before it.
func (r *FixedReceiver) recoverDRED(ts uint32, frame []float32) bool {
	maxK := int(dredMaxLookahead / (time.Duration(r.fs) * time.Second / time.Duration(r.rate)))
	for k := 1; k <= maxK; k++ {
		p, ok := r.prim[ts+uint32(k)*r.tsStep]
		if !ok {
			continue
		}
		if !r.dredOK || r.dredTS != p.Timestamp {
			if _, err := r.dred.Parse(p.Payload, k*r.fs); err != nil {
				return false
			}
			r.dredTS, r.dredOK = p.Timestamp, true
		}
		// ErrNoDRED (the data does not reach this far) and a libopus failure alike leave the frame
		// to PLC; neither is a reason to stop the stream.
		return r.dec.DecodeDRED(r.dred, k*r.fs, frame) == nil
	}
	return false
}

// hasFEC reports whether an Opus packet carries in-band FEC data for the frame before it; only
// then is an FEC decode a recovery rather than concealment under another name.
func hasFEC(p []byte) bool {
	ok, err := codec.PacketHasFEC(p)
	return ok && err == nil
}
