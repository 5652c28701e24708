package adapt

import (
	"fmt"
	"time"
)

// Bounds of the settings the policy chooses from.
const (
	MinBitrateBps = 6000
	MaxBitrateBps = 64000
	MaxREDDepth   = 3
	// MaxDRED is the longest Deep REDundancy a setting may carry (libopus 1.5 accepts up to
	// 1 s).
	MaxDRED = time.Second
)

// Bitrates are the Opus target bitrates the policy considers, ascending.
var Bitrates = [...]int{6000, 8000, 10000, 12000, 14000, 16000, 20000, 24000, 28000, 32000, 40000, 48000, 64000}

// Frames are the frame sizes the policy considers.
var Frames = [...]time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 60 * time.Millisecond}

// Settings is what the sender and the receiver apply: the sender's encoder and redundancy, and
// the receiver's jitter-buffer target.
type Settings struct {
	BitrateBps int           // Opus target bitrate, MinBitrateBps..MaxBitrateBps
	Frame      time.Duration // 20, 40 or 60 ms
	FEC        bool          // Opus in-band FEC (LBRR)
	LossHint   float64       // the encoder's expected packet loss, fraction 0..1 (used with FEC)
	// REDDepth is the number of earlier frames repeated in each packet (RFC 2198), 0..3.
	REDDepth int
	// REDLowRateBps is 0 when the copies repeat the primary encoding, else the bitrate of a
	// separate low-rate encoding used for the copies.
	REDLowRateBps int
	// DRED is how much audio history each packet carries as Opus Deep REDundancy (libopus
	// 1.5), 0 (off) to MaxDRED. Its bits come out of BitrateBps (the wire rate does not
	// change), and LossHint sets how many: see dred.go for what the policy sends.
	DRED time.Duration
	// JitterTarget is the receiver's target playout delay above the base one-way delay.
	JitterTarget time.Duration
}

// Validate reports the first field out of range, wrapping ErrConfig.
func (s Settings) Validate() error {
	switch {
	case s.BitrateBps < MinBitrateBps || s.BitrateBps > MaxBitrateBps:
		return fmt.Errorf("%w: BitrateBps %d (want %d..%d)", ErrConfig, s.BitrateBps, MinBitrateBps, MaxBitrateBps)
	case s.Frame != 20*time.Millisecond && s.Frame != 40*time.Millisecond && s.Frame != 60*time.Millisecond:
		return fmt.Errorf("%w: Frame %v (want 20, 40 or 60 ms)", ErrConfig, s.Frame)
	case !(s.LossHint >= 0 && s.LossHint <= 1):
		return fmt.Errorf("%w: LossHint %v (want 0..1)", ErrConfig, s.LossHint)
	case s.REDDepth < 0 || s.REDDepth > MaxREDDepth:
		return fmt.Errorf("%w: REDDepth %d (want 0..%d)", ErrConfig, s.REDDepth, MaxREDDepth)
	case s.REDLowRateBps < 0 || s.REDLowRateBps > MaxBitrateBps:
		return fmt.Errorf("%w: REDLowRateBps %d", ErrConfig, s.REDLowRateBps)
	case s.DRED < 0 || s.DRED > MaxDRED:
		return fmt.Errorf("%w: DRED %v (want 0..%v)", ErrConfig, s.DRED, MaxDRED)
	case s.JitterTarget < 0:
		return fmt.Errorf("%w: JitterTarget %v (want ≥ 0)", ErrConfig, s.JitterTarget)
	}
	return nil
}

// WireBps is the rate the settings put on the wire, in bit/s: payload (primary, the RED copies
// and their RFC 2198 headers) plus overheadBytes per packet. DRED and in-band FEC ride inside
// the primary's bitrate.
func (s Settings) WireBps(overheadBytes int) float64 {
	if s.Frame <= 0 {
		return 0
	}
	pps := 1 / s.Frame.Seconds()
	primary := float64(s.BitrateBps) * s.Frame.Seconds() / 8
	payload := primary
	if s.REDDepth > 0 {
		copyBytes := primary
		if s.REDLowRateBps > 0 {
			copyBytes = float64(s.REDLowRateBps) * s.Frame.Seconds() / 8
		}
		payload += 1 + float64(s.REDDepth)*(copyBytes+4)
	}
	return pps * (payload + float64(overheadBytes)) * 8
}
