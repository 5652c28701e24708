package engine

import (
	"fmt"

	"github.com/parley-voice/parley/codec"
)

// Tuning is a change of the send settings during a call, for an adaptation layer: the encoder's
// bitrate and expected loss (which drives Opus FEC strength) and the RED depth. The frame
// duration is fixed for the call.
type Tuning struct {
	BitrateBps int     // 6000 to 510000
	LossHint   float64 // expected loss fraction 0..1 given to the encoder
	REDDepth   int     // 0 to codec.MaxREDRedundancy; used only when RED was negotiated
}

// Tune applies t from the next frame on. It is safe for concurrent use; if called several
// times between two frames, the last call wins. An invalid Tuning returns ErrConfig and changes
// nothing.
func (c *Call) Tune(t Tuning) error {
	s := c.s.codec
	s.BitrateBps, s.LossHint = t.BitrateBps, t.LossHint
	if err := s.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if t.REDDepth < 0 || t.REDDepth > codec.MaxREDRedundancy {
		return fmt.Errorf("%w: REDDepth %d", ErrConfig, t.REDDepth)
	}
	c.send.pending.Store(&t)
	return nil
}

// applyTuning takes a pending Tuning, if any, into the send pipeline. Called by the send loop
// before each frame; without a pending change it costs one atomic swap.
func (s *sender) applyTuning() {
	t := s.pending.Swap(nil)
	if t == nil {
		return
	}
	set := s.enc.Settings()
	set.BitrateBps, set.LossHint = t.BitrateBps, t.LossHint
	if err := s.enc.Apply(set); err != nil {
		return
	}
	s.bitrate.Store(int64(t.BitrateBps))
	switch {
	case s.red != nil:
		_ = s.red.SetDepth(t.REDDepth)
	case t.REDDepth > 0:
		if r, err := codec.NewRedundancy(t.REDDepth, nil); err == nil {
			s.red = r
		}
	}
	s.redDepth.Store(int64(t.REDDepth))
}
