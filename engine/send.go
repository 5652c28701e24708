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
// Its fields are owned by the send loop goroutine, except the atomic counters and ad (which
// has its own lock).
type sender struct {
	src    audio.Source
	frame  time.Duration // current frame duration (Tuning may change it)
	enc    *codec.Encoder
	pkt    codec.Packetizer
	red    *codec.Redundancy // nil without RED; redPrimary or redLow
	track  *track
	muted  *atomic.Bool
	now    func() time.Time
	pcm    []float32 // one frame; capacity for the longest (60 ms)
	opus   []byte
	packet []byte
	hdr    rtp.Header
	eof    atomic.Bool // the source ended; read by Stats

	// redPrimary repeats the primary encoding; redLow packs copies from lowEnc. Made on first
	// use.
	redPrimary, redLow *codec.Redundancy
	lowEnc             *codec.Encoder

	// ad is the sender side of the network adaptation (nil with Config.NoAdapt).
	ad *txAdapt

	framesEncoded, framesDTX, packetsSent, bytesSent atomic.Uint64

	pending atomic.Pointer[Tuning] // set by Call.Tune, taken by the send loop
	// Settings in force, for Stats.
	bitrate, redDepth, redLowBps, frameNs atomic.Int64
	fec                                   atomic.Bool
}

func newSender(s *settings, muted *atomic.Bool) (*sender, error) {
	enc, err := codec.NewEncoder(audio.SampleRateHz, s.codec)
	if err != nil {
		return nil, fmt.Errorf("%w: encoder: %w", ErrConfig, err)
	}
	snd := &sender{
		src: s.Source, frame: s.Frame, enc: enc, track: &track{}, muted: muted, now: s.Now,
		pcm:  make([]float32, s.frameSamples, audio.SampleRateHz*60/1000),
		opus: make([]byte, codec.MaxPacketBytes), packet: make([]byte, 0, 4*codec.MaxPacketBytes),
	}
	snd.bitrate.Store(int64(s.codec.BitrateBps))
	snd.redDepth.Store(int64(s.REDDepth))
	snd.frameNs.Store(int64(s.Frame))
	snd.fec.Store(s.codec.FEC)
	if s.REDDepth > 0 {
		if snd.red, err = codec.NewRedundancy(s.REDDepth, nil); err != nil {
			return nil, fmt.Errorf("%w: RED: %w", ErrConfig, err)
		}
		snd.redPrimary = snd.red
	}
	if !s.NoAdapt {
		if snd.ad, err = newTxAdapt(s); err != nil {
			return nil, err
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

// loop sends one frame per frame duration until ctx ends; the frame duration may change
// between frames (Tuning.Frame). After a stall (a descheduled goroutine) it catches up by at
// most maxCatchUp of audio and drops older frames, so the source keeps real time without
// bursting the network for long.
func (s *sender) loop(ctx context.Context) {
	const maxCatchUp = 200 * time.Millisecond
	t := time.NewTimer(s.frame)
	defer t.Stop()
	start := s.now()
	var sent time.Duration // audio sent (or dropped), from start
	for {
		elapsed := s.now().Sub(start)
		if elapsed-sent > maxCatchUp {
			sent = elapsed - maxCatchUp
		}
		for sent <= elapsed { // a frame is due at its first sample's time
			sent += s.sendFrame()
		}
		t.Reset(sent - elapsed)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sendFrame reads, encodes and sends one frame and returns its duration. It allocates nothing
// (see BenchmarkSendFrame).
func (s *sender) sendFrame() time.Duration {
	s.applyTuning()
	frame := s.frame
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
		return frame
	}
	s.framesEncoded.Add(1)
	h, send := s.pkt.Next(n, frame)
	if !send {
		s.framesDTX.Add(1)
		return frame
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
		if s.ad != nil {
			s.ad.onSend(h.SequenceNumber, len(payload))
		}
	}
	return frame
}

// sourceDone reports whether the source has ended (io.EOF or an error).
func (s *sender) sourceDone() bool { return s.eof.Load() }
