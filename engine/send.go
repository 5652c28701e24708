package engine

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/engine/media"
)

// sender drives the send step (media.Sender: Opus encoder → packetizer (DTX) → RED) into the
// call's track in real time. Its fields are owned by the send loop goroutine, except the
// atomic counters, pending, cur (under curMu) and ad (under adMu).
type sender struct {
	src   audio.Source
	ms    *media.Sender
	track *track
	muted *atomic.Bool
	now   func() time.Time
	base  time.Time // the sender's clock: media times are durations since base
	pcm   []float32 // one frame; capacity for the longest (60 ms)
	eof   atomic.Bool

	// ad is the sender side of the network adaptation (nil with Config.NoAdapt); adMu guards
	// it (the send loop, the data channel and the adaptation loop all call it).
	adMu sync.Mutex
	ad   *media.Adapter
	last media.Decision // the last decision, for Stats
	n    uint64         // decisions made

	framesEncoded, framesDTX, packetsSent, bytesSent atomic.Uint64

	pending atomic.Pointer[media.Settings] // set by Call.Tune and the adaptation, taken by the send loop
	curMu   sync.Mutex
	cur     media.Settings // the settings in force, for Stats
}

// sendSettings is the configured start of the send settings.
func sendSettings(s *settings) media.Settings {
	return media.Settings{
		BitrateBps: s.codec.BitrateBps, Frame: s.Frame, FEC: s.codec.FEC, LossHint: s.codec.LossHint, REDDepth: s.REDDepth,
	}
}

func newSender(s *settings, muted *atomic.Bool) (*sender, error) {
	var r [6]byte
	if _, err := io.ReadFull(randReader(s.Rand), r[:]); err != nil {
		return nil, fmt.Errorf("engine: random: %w", err)
	}
	start := sendSettings(s)
	ms, err := media.NewSender(media.SenderConfig{
		Codec: s.codec, Settings: start,
		InitialSequence:  uint16(r[0])<<8 | uint16(r[1]),
		InitialTimestamp: uint32(r[2])<<24 | uint32(r[3])<<16 | uint32(r[4])<<8 | uint32(r[5]),
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	snd := &sender{
		src: s.Source, ms: ms, track: &track{}, muted: muted, now: s.Now, base: s.Now(),
		pcm: make([]float32, ms.FrameSamples(), audio.SampleRateHz*60/1000), cur: start,
	}
	if !s.NoAdapt {
		pol := s.SendPolicy
		if pol == nil {
			if pol, err = media.NewAdaptPolicy(nil, policyConfig(s)); err != nil {
				return nil, fmt.Errorf("%w: AdaptPolicy: %w", ErrConfig, err)
			}
		}
		snd.ad = media.NewAdapter(pol)
	}
	return snd, nil
}

// clock is the sender's media clock.
func (s *sender) clock() time.Duration { return s.now().Sub(s.base) }

// loop sends one frame per frame duration until done is closed; the frame duration may change
// between frames. After a stall (a descheduled goroutine) it catches up by at most maxCatchUp
// of audio and drops older frames, so the source keeps real time without bursting the network
// for long.
func (s *sender) loop(done <-chan struct{}) {
	const maxCatchUp = 200 * time.Millisecond
	t := time.NewTimer(s.ms.Settings().Frame)
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
		case <-done:
			return
		case <-t.C:
		}
	}
}

// sendFrame applies pending settings, reads one frame from the source, sends it through the
// media sender and returns its duration. It allocates nothing (see BenchmarkSendFrame).
func (s *sender) sendFrame() time.Duration {
	s.applyPending()
	s.pcm = s.pcm[:s.ms.FrameSamples()]
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
	at := s.clock()
	out, _ := s.ms.Send(s.pcm, s.track) // a failed frame is lost, as on the network
	if out.Encoded {
		s.framesEncoded.Add(1)
	}
	switch {
	case out.DTX:
		s.framesDTX.Add(1)
	case out.Packet:
		s.packetsSent.Add(1)
		s.bytesSent.Add(uint64(out.PayloadBytes))
		if s.ad != nil {
			s.adMu.Lock()
			s.ad.OnSend(at, out)
			s.adMu.Unlock()
		}
	}
	return out.Frame
}

// applyPending takes pending settings, if any, into the media sender. Without a pending change
// it costs one atomic swap.
func (s *sender) applyPending() {
	p := s.pending.Swap(nil)
	if p == nil {
		return
	}
	if err := s.ms.Apply(*p); err != nil {
		return
	}
	s.curMu.Lock()
	s.cur = s.ms.Settings()
	s.curMu.Unlock()
}

// inForce returns the settings in force.
func (s *sender) inForce() media.Settings {
	s.curMu.Lock()
	defer s.curMu.Unlock()
	return s.cur
}

// sourceDone reports whether the source has ended (io.EOF or an error).
func (s *sender) sourceDone() bool { return s.eof.Load() }
