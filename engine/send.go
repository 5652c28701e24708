package engine

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/engine/audio"
)

// sender is the send pipeline: Source → Opus encoder → packetizer (DTX) → RED → track.
// Its fields are owned by the send loop goroutine, except the atomic counters.
type sender struct {
	src    audio.Source
	frame  time.Duration
	enc    *codec.Encoder
	pkt    codec.Packetizer
	red    *codec.Redundancy // nil without RED
	track  *track
	muted  *atomic.Bool
	now    func() time.Time
	pcm    []float32
	opus   []byte
	packet []byte
	hdr    rtp.Header
	eof    atomic.Bool // the source ended; read by Stats

	framesEncoded, framesDTX, packetsSent, bytesSent atomic.Uint64

	pending           atomic.Pointer[Tuning] // set by Call.Tune, taken by the send loop
	bitrate, redDepth atomic.Int64           // settings in force, for Stats
}

func newSender(s *settings, muted *atomic.Bool) (*sender, error) {
	enc, err := codec.NewEncoder(audio.SampleRateHz, s.codec)
	if err != nil {
		return nil, fmt.Errorf("%w: encoder: %w", ErrConfig, err)
	}
	snd := &sender{
		src: s.Source, frame: s.Frame, enc: enc, track: &track{}, muted: muted, now: s.Now,
		pcm: make([]float32, s.frameSamples), opus: make([]byte, codec.MaxPacketBytes),
		packet: make([]byte, 0, 4*codec.MaxPacketBytes),
	}
	snd.bitrate.Store(int64(s.codec.BitrateBps))
	snd.redDepth.Store(int64(s.REDDepth))
	if s.REDDepth > 0 {
		if snd.red, err = codec.NewRedundancy(s.REDDepth, nil); err != nil {
			return nil, fmt.Errorf("%w: RED: %w", ErrConfig, err)
		}
	}
	var r [6]byte
	if _, err := io.ReadFull(randReader(s.Rand), r[:]); err != nil {
		return nil, fmt.Errorf("engine: random: %w", err)
	}
	snd.pkt.InitialSequence = uint16(r[0])<<8 | uint16(r[1])
	snd.pkt.InitialTimestamp = uint32(r[2])<<24 | uint32(r[3])<<16 | uint32(r[4])<<8 | uint32(r[5])
	return snd, nil
}

// loop sends one frame per frame duration until ctx ends. After a stall (a descheduled
// goroutine) it catches up by at most maxCatchUp of audio and drops older frames, so the source
// keeps real time without bursting the network for long.
func (s *sender) loop(ctx context.Context) {
	maxCatchUp := int64(max(1, 200*time.Millisecond/s.frame))
	t := time.NewTicker(s.frame)
	defer t.Stop()
	start := s.now()
	sent := int64(0)
	for {
		due := int64(s.now().Sub(start)/s.frame) + 1
		if due-sent > maxCatchUp {
			sent = due - maxCatchUp
		}
		for ; sent < due; sent++ {
			s.sendFrame()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sendFrame reads, encodes and sends one frame. It allocates nothing (see BenchmarkSendFrame).
func (s *sender) sendFrame() {
	s.applyTuning()
	if s.eof.Load() {
		clear(s.pcm)
	} else if n, err := s.src.Read(s.pcm); err != nil {
		// io.EOF ends the source; any other error too: silence from now on.
		clear(s.pcm[min(max(n, 0), len(s.pcm)):])
		s.eof.Store(true)
	}
	if s.muted.Load() {
		clear(s.pcm)
	}
	n, err := s.enc.Encode(s.pcm, s.opus)
	if err != nil {
		return
	}
	s.framesEncoded.Add(1)
	h, send := s.pkt.Next(n, s.frame)
	if !send {
		s.framesDTX.Add(1)
		return
	}
	s.hdr.SequenceNumber, s.hdr.Timestamp, s.hdr.Marker = h.SequenceNumber, h.Timestamp, h.Marker
	s.hdr.Extension, s.hdr.Extensions = false, s.hdr.Extensions[:0]
	payload, red := s.opus[:n], false
	if s.red != nil {
		if opusPT, ok := s.track.redPayloadType(); ok {
			if p, err := s.red.Pack(s.packet[:0], opusPT, h.Timestamp, s.opus[:n], s.pcm); err == nil {
				payload, red = p, true
			}
		}
	}
	if ok, _ := s.track.write(&s.hdr, red, payload); ok {
		s.packetsSent.Add(1)
		s.bytesSent.Add(uint64(len(payload)))
	}
}

// sourceDone reports whether the source has ended (io.EOF or an error).
func (s *sender) sourceDone() bool { return s.eof.Load() }
