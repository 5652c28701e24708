package engine

import (
	"fmt"
	"time"

	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/engine/audio"
)

// Tuning is a change of the send settings during a call, for an adaptation layer: the encoder's
// bitrate, FEC and expected loss (which drives Opus FEC strength), the frame duration, and the
// RED depth with primary or low-rate copies. Unless Config.NoAdapt is set, the call's own
// adaptation tunes every 500 ms: its next decision replaces a Tune made in between.
type Tuning struct {
	BitrateBps int     // 6000 to 510000
	LossHint   float64 // expected loss fraction 0..1 given to the encoder
	NoFEC      bool    // turn Opus in-band FEC off (it is on otherwise)
	// Frame is the frame duration from the next frame on: 10, 20, 40 or 60 ms; zero keeps the
	// current one. Opus allows a different frame size in every packet; the RTP timestamp
	// advances by each frame's samples.
	Frame    time.Duration
	REDDepth int // 0 to codec.MaxREDRedundancy; used only when RED was negotiated
	// REDLowRateBps, when not zero, makes the RED copies a separate low-rate encoding at this
	// bitrate (6000 to 510000) instead of repeats of the primary.
	REDLowRateBps int
}

// Tune applies t from the next frame on. It is safe for concurrent use; if called several
// times between two frames, the last call wins. An invalid Tuning returns ErrConfig and changes
// nothing.
func (c *Call) Tune(t Tuning) error {
	if err := c.tune(t); err != nil {
		return err
	}
	if c.send.ad != nil {
		c.send.ad.overridden.Store(true) // the next decision is applied even if unchanged
	}
	return nil
}

// tune is Tune without telling the adaptation (which calls it).
func (c *Call) tune(t Tuning) error {
	s := c.s.codec
	s.BitrateBps, s.LossHint, s.FEC = t.BitrateBps, t.LossHint, !t.NoFEC
	if err := s.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if t.REDDepth < 0 || t.REDDepth > codec.MaxREDRedundancy {
		return fmt.Errorf("%w: REDDepth %d", ErrConfig, t.REDDepth)
	}
	if t.Frame != 0 {
		if _, err := codec.FrameSamples(audio.SampleRateHz, t.Frame); err != nil {
			return fmt.Errorf("%w: Frame %v: must be 10, 20, 40 or 60 ms", ErrConfig, t.Frame)
		}
	}
	if t.REDLowRateBps != 0 {
		low := codec.Settings{BitrateBps: t.REDLowRateBps, Complexity: s.Complexity}
		if err := low.Validate(); err != nil {
			return fmt.Errorf("%w: REDLowRateBps: %w", ErrConfig, err)
		}
	}
	c.send.pending.Store(&t)
	return nil
}

// applyTuning takes a pending Tuning, if any, into the send pipeline. Called by the send loop
// before each frame; without a pending change it costs one atomic swap. A change may allocate
// (a RED packer, the low-rate encoder, once each); frames without one do not.
func (s *sender) applyTuning() {
	t := s.pending.Swap(nil)
	if t == nil {
		return
	}
	set := s.enc.Settings()
	set.BitrateBps, set.LossHint, set.FEC = t.BitrateBps, t.LossHint, !t.NoFEC
	if err := s.enc.Apply(set); err != nil {
		return
	}
	s.bitrate.Store(int64(t.BitrateBps))
	s.fec.Store(set.FEC)
	if t.Frame != 0 && t.Frame != s.frame {
		if n, err := codec.FrameSamples(audio.SampleRateHz, t.Frame); err == nil && n <= cap(s.pcm) {
			s.frame, s.pcm = t.Frame, s.pcm[:n]
			s.frameNs.Store(int64(t.Frame))
		}
	}
	s.setRED(t.REDDepth, t.REDLowRateBps)
}

// setRED selects the RED packer for depth copies, repeats of the primary (lowBps 0) or a
// low-rate encoding; depth 0 sends plain Opus.
func (s *sender) setRED(depth, lowBps int) {
	s.red = nil
	s.redDepth.Store(int64(depth))
	s.redLowBps.Store(int64(0))
	if depth == 0 {
		return
	}
	if lowBps == 0 {
		if s.redPrimary == nil {
			r, err := codec.NewRedundancy(depth, nil)
			if err != nil {
				return
			}
			s.redPrimary = r
		}
		s.red = s.redPrimary
	} else {
		if s.redLow == nil {
			low, err := codec.NewEncoder(audio.SampleRateHz, codec.Settings{
				BitrateBps: lowBps, Complexity: s.enc.Settings().Complexity, MaxBandwidth: codec.BandwidthAuto,
			})
			if err != nil {
				return
			}
			r, err := codec.NewRedundancy(depth, low)
			if err != nil {
				return
			}
			s.lowEnc, s.redLow = low, r
		}
		ls := s.lowEnc.Settings()
		ls.BitrateBps = lowBps
		if err := s.lowEnc.Apply(ls); err != nil {
			return
		}
		s.red = s.redLow
		s.redLowBps.Store(int64(lowBps))
	}
	if err := s.red.SetDepth(depth); err != nil {
		s.red = nil
	}
}
