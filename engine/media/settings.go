package media

import (
	"fmt"
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/codec"
)

// SampleRateHz is the rate of the audio the media core encodes and plays: 48 kHz mono.
const SampleRateHz = 48000

// OverheadBytes is what each voice packet costs on the wire beyond its RTP payload: IPv4 20 +
// UDP 8 + RTP 12 + SRTP authentication tag 10. The adaptation's wire sizes and the bench's
// emulated link both count it; it is adapt.DefaultOverheadBytes.
const OverheadBytes = adapt.DefaultOverheadBytes

// MaxDRED is the longest Deep REDundancy (libopus 1.5) a Settings may ask for.
const MaxDRED = codec.MaxDRED

// Settings are the send settings that may change between frames: what Call.Tune takes, what
// Stats shows, what a Policy decides and what the bench runs. The zero value is not valid
// (BitrateBps 0).
type Settings struct {
	BitrateBps int // Opus target bitrate, codec.MinBitrateBps..codec.MaxBitrateBps
	// Frame is the frame duration: 10, 20, 40 or 60 ms. Opus allows a different frame size in
	// every packet; the RTP timestamp advances by each frame's samples.
	Frame time.Duration
	// FEC turns Opus in-band FEC (LBRR) on; LossHint is the expected loss fraction 0..1 given
	// to the encoder, which sets the FEC's strength.
	FEC      bool
	LossHint float64
	// REDDepth is the number of earlier frames repeated in each packet (RFC 2198 RED), 0 to
	// codec.MaxREDRedundancy; used only where RED was negotiated.
	REDDepth int
	// REDLowRateBps is 0 when the RED copies repeat the primary encoding, else the bitrate of
	// a separate low-rate encoding used for the copies.
	REDLowRateBps int
	// DRED is how much audio history each packet carries as Opus Deep REDundancy (libopus
	// 1.5; codec.Settings.DRED), 0 (off) to MaxDRED. Its bits come out of BitrateBps and grow
	// with LossHint. A sender built against a libopus without DRED (codec.Features) refuses
	// settings with DRED.
	DRED time.Duration
}

// Validate reports the first field out of range, wrapping ErrConfig.
func (s Settings) Validate() error {
	cs := codec.Settings{BitrateBps: s.BitrateBps, LossHint: s.LossHint}
	if err := cs.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if _, err := codec.FrameSamples(SampleRateHz, s.Frame); err != nil {
		return fmt.Errorf("%w: Frame %v: must be 10, 20, 40 or 60 ms", ErrConfig, s.Frame)
	}
	if s.REDDepth < 0 || s.REDDepth > codec.MaxREDRedundancy {
		return fmt.Errorf("%w: REDDepth %d: want 0..%d", ErrConfig, s.REDDepth, codec.MaxREDRedundancy)
	}
	if s.REDLowRateBps != 0 {
		if err := (codec.Settings{BitrateBps: s.REDLowRateBps}).Validate(); err != nil {
			return fmt.Errorf("%w: REDLowRateBps: %w", ErrConfig, err)
		}
	}
	if s.DRED < 0 || s.DRED > MaxDRED {
		return fmt.Errorf("%w: DRED %v: want 0..%v", ErrConfig, s.DRED, MaxDRED)
	}
	if s.DRED > 0 && !codec.Features().DRED {
		return fmt.Errorf("%w: DRED: libopus without it (%s)", ErrConfig, codec.Features())
	}
	return nil
}

// WireBps is the rate the settings put on the wire, in bit/s: payload (primary, the RED copies
// and their RFC 2198 headers) plus OverheadBytes per packet.
func (s Settings) WireBps() float64 { return s.adapt(0).WireBps(OverheadBytes) }

// adapt converts s to the adapt package's settings with the given jitter target.
func (s Settings) adapt(target time.Duration) adapt.Settings {
	return adapt.Settings{
		BitrateBps: s.BitrateBps, Frame: s.Frame, FEC: s.FEC, LossHint: s.LossHint,
		REDDepth: s.REDDepth, REDLowRateBps: s.REDLowRateBps, DRED: s.DRED, JitterTarget: target,
	}
}

// FromAdapt is the send part of an adapt.Settings.
func FromAdapt(a adapt.Settings) Settings {
	return Settings{
		BitrateBps: a.BitrateBps, Frame: a.Frame, FEC: a.FEC, LossHint: a.LossHint,
		REDDepth: a.REDDepth, REDLowRateBps: a.REDLowRateBps, DRED: a.DRED,
	}
}
