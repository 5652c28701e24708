package engine

import (
	"fmt"

	"github.com/parley-voice/parley/engine/media"
)

// Tune changes the send settings from the next frame on, for an adaptation layer of the
// application's own: the encoder's bitrate, FEC and loss hint, the frame duration, the RED
// depth with primary or low-rate copies (RED is used only when negotiated). It is safe for
// concurrent use; if called several times between two frames, the last call wins. Invalid
// settings return ErrConfig and change nothing. Unless Config.NoAdapt is set, the call's own
// adaptation decides every 500 ms: its next decision replaces a Tune made in between.
func (c *Call) Tune(s media.Settings) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	c.send.pending.Store(&s)
	return nil
}
