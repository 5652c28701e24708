package codec

import (
	"fmt"
	"time"
)

// Audio is a mono PCM signal: Samples in [-1, 1] at SampleRateHz. The zero value is an empty
// signal with no rate.
type Audio struct {
	SampleRateHz int
	Samples      []float32
}

// Duration is the length of the signal.
func (a Audio) Duration() time.Duration {
	if a.SampleRateHz <= 0 {
		return 0
	}
	return time.Duration(len(a.Samples)) * time.Second / time.Duration(a.SampleRateHz)
}

// MinSampleRateHz and MaxSampleRateHz bound the rates Parley reads, writes and resamples.
const (
	MinSampleRateHz = 8000
	MaxSampleRateHz = 48000
)

// Opus's native rates: the encoder and decoder accept exactly these.
var opusRates = [...]int{8000, 12000, 16000, 24000, 48000}

func checkOpusRate(hz int) error {
	for _, r := range opusRates {
		if r == hz {
			return nil
		}
	}
	return fmt.Errorf("%w: %d Hz (Opus takes 8000, 12000, 16000, 24000 or 48000)", ErrSampleRate, hz)
}

// FrameSamples is the number of samples in one frame of duration d at rate hz, or an error if d
// is not 10, 20, 40 or 60 ms.
func FrameSamples(hz int, d time.Duration) (int, error) {
	switch d {
	case 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond, 60 * time.Millisecond:
	default:
		return 0, fmt.Errorf("%w: %v (Parley uses 10, 20, 40 or 60 ms)", ErrFrameSize, d)
	}
	return hz * int(d/time.Millisecond) / 1000, nil
}

// Float32ToInt16 converts samples in [-1, 1] to 16-bit PCM with clipping (NaN becomes 0). dst
// must be at least as long as src; it returns dst[:len(src)].
func Float32ToInt16(dst []int16, src []float32) []int16 {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = toInt16(v)
	}
	return dst
}

func toInt16(v float32) int16 {
	x := v * 32768
	switch {
	case x >= 32767:
		return 32767
	case x <= -32768:
		return -32768
	case x != x: // NaN
		return 0
	default:
		return int16(x)
	}
}

// Int16ToFloat32 converts 16-bit PCM to [-1, 1). dst must be at least as long as src; it
// returns dst[:len(src)].
func Int16ToFloat32(dst []float32, src []int16) []float32 {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float32(v) / 32768
	}
	return dst
}
