package codec

import "time"

// RTPClockHz is the RTP clock rate of Opus, whatever the audio's sample rate (RFC 7587).
const RTPClockHz = 48000

// DTXMaxBytes is the largest packet that is pure DTX/comfort-noise signalling: Opus emits 1 or 2
// bytes for a silent frame under DTX, and such packets are not sent (the receiver's PLC and
// comfort noise cover the gap).
const DTXMaxBytes = 2

// PacketHeader is what the packetizer decides for one frame: the RTP fields that change per
// packet. Payload type and SSRC are the caller's.
type PacketHeader struct {
	SequenceNumber uint16
	Timestamp      uint32 // RTP timestamp at RTPClockHz of the frame's first sample
	Marker         bool   // first packet of a talkspurt (RFC 3551 §4.1)
}

// Packetizer assigns RTP sequence numbers, timestamps and markers to encoded frames, DTX-aware:
// the timestamp advances by every frame's duration, sent or not, so the receiver sees silence as
// a timestamp jump rather than a clock drift; sequence numbers advance only for sent packets (a
// gap in them means loss, not silence); the marker is set on the first packet after silence and
// on the very first packet. The zero value starts at sequence 0 and timestamp 0; set
// InitialSequence and InitialTimestamp (random, RFC 3550 §5.1) before the first Next. Not safe
// for concurrent use.
type Packetizer struct {
	InitialSequence  uint16
	InitialTimestamp uint32

	started bool
	seq     uint16
	ts      uint32
	silent  bool // the previous frame was not sent
}

// Next takes one encoded frame of payloadBytes covering frame duration and reports whether to
// send it and with which header. Frames of DTXMaxBytes or fewer are not sent. frame must be a
// multiple of 2.5 ms. Allocates nothing.
func (p *Packetizer) Next(payloadBytes int, frame time.Duration) (h PacketHeader, send bool) {
	if !p.started {
		p.started = true
		p.seq = p.InitialSequence
		p.ts = p.InitialTimestamp
		p.silent = true
	}
	ts := p.ts
	p.ts += uint32(frame * RTPClockHz / time.Second)
	if payloadBytes <= DTXMaxBytes {
		p.silent = true
		return PacketHeader{}, false
	}
	h = PacketHeader{SequenceNumber: p.seq, Timestamp: ts, Marker: p.silent}
	p.seq++
	p.silent = false
	return h, true
}

// NextTimestamp is the RTP timestamp the next frame will carry.
func (p *Packetizer) NextTimestamp() uint32 {
	if !p.started {
		return p.InitialTimestamp
	}
	return p.ts
}
