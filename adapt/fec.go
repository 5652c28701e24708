package adapt

import (
	"math"
	"time"
)

// In-band FEC (Opus LBRR) as libopus 1.5.2 sends it: the encoder adds the low-bitrate copy of
// the previous frame only where the bitrate can carry it at the loss hint it is given, and
// otherwise sends no FEC at all, FEC on or not. Measured by encoding the codec2 wideband
// sentence at complexity 9 and asking codec.PacketHasFEC of every packet (bench's
// TestPolicyFECSent repeats it against the linked libopus):
//
//   - loss hint 25 % and more: from 16 kb/s;
//   - 6 % and more: from 20 kb/s;
//   - below 6 %: from 30 kb/s (from 32 kb/s in 40 ms frames).
//
// Below those the setting would send plain Opus while the policy scored it as FEC.
var fecSentTable = [...]struct {
	hintPercent, bitrateBps int
}{
	{25, 16000},
	{6, 20000},
}

// fecLowHintBps is the least bitrate at which libopus sends FEC at a loss hint below 6 %
// (fecLowHint40Bps in 40 ms frames).
const (
	fecLowHintBps   = 30000
	fecLowHint40Bps = 32000
)

// fecSent reports whether the encoder sends in-band FEC for s (FEC on, its LossHint, bitrate
// and frame); false without FEC.
func fecSent(s *Settings) bool {
	if !s.FEC {
		return false
	}
	h := int(math.Round(s.LossHint * 100))
	for _, e := range fecSentTable {
		if h >= e.hintPercent {
			return s.BitrateBps >= e.bitrateBps
		}
	}
	if s.Frame == 40*time.Millisecond {
		return s.BitrateBps >= fecLowHint40Bps
	}
	return s.BitrateBps >= fecLowHintBps
}

// FECSent reports whether libopus 1.5.2 sends in-band FEC for s: FEC on, and a bitrate that
// carries it at s's loss hint (see fecSentTable). The policy offers FEC only where it does.
func FECSent(s Settings) bool { return fecSent(&s) }
