package emodel

import (
	"fmt"
	"math"
	"time"
)

// FixedDelay is the part of a call's mouth-to-ear delay that is neither the frame, nor the
// network, nor the jitter buffer: capture and playout devices, Opus's look-ahead, decoding.
// Parley's quality model (adapt.DefaultFixedDelay), the engine's Stats.MOS, the demo's
// per-second MOS and the bench all use it.
const FixedDelay = 30 * time.Millisecond

// MouthToEar is a call's mouth-to-ear delay: the network's one-way transit (RTT/2 live), the
// jitter buffer's delay, the frame (a frame is captured whole before it is encoded) and
// FixedDelay.
func MouthToEar(transit, buffer, frame time.Duration) time.Duration {
	return max(transit, 0) + max(buffer, 0) + max(frame, 0) + FixedDelay
}

// Call is a call, or a window of one, as the E-model scores it.
type Call struct {
	BitrateBps int           // Opus target bitrate, > 0
	Frame      time.Duration // frame duration (the table's nearest: 20, 40 or 60 ms)
	// Loss is the share 0..1 of the audio that was concealed: lost or late, and not recovered
	// by FEC or RED.
	Loss float64
	// MeanBurst is the mean run of consecutive concealed frames, ≥ 1; 0 means random loss.
	MeanBurst float64
	// MouthToEar is the mouth-to-ear delay (see MouthToEar).
	MouthToEar time.Duration
}

// ScoreCall rates a call with the E-model (G.107.1, wideband) and Parley's measured codec
// table (ParleyOpusTable, the curve of plain Opus at the call's frame: its Bpl is that of
// concealment, which is what Loss counts). It is the one way Parley scores a call: the
// engine's Stats.MOS, the demo's per-second MOS and the bench's E-model MOS all call it. Loss
// of 1 scores MOS 1. Errors wrap ErrBitrate, ErrDelay, ErrLoss or ErrBurstRatio.
func ScoreCall(c Call) (Result, error) {
	if c.BitrateBps <= 0 {
		return Result{}, fmt.Errorf("%w: %d b/s", ErrBitrate, c.BitrateBps)
	}
	if !finite(c.Loss) || c.Loss < 0 || c.Loss > 1 {
		return Result{}, invalid(ErrLoss, "loss", c.Loss)
	}
	if !finite(c.MeanBurst) || c.MeanBurst < 0 {
		return Result{}, invalid(ErrBurstRatio, "mean burst", c.MeanBurst)
	}
	if c.Loss >= 0.999 {
		r := -math.MaxFloat64
		return Result{Band: Wideband, R: r, MOS: 1, PplPercent: 100 * c.Loss}, nil
	}
	t, err := ParleyOpusTable()
	if err != nil {
		return Result{}, err
	}
	frame := 20 * time.Millisecond
	switch {
	case c.Frame >= 50*time.Millisecond:
		frame = 60 * time.Millisecond
	case c.Frame >= 30*time.Millisecond:
		frame = 40 * time.Millisecond
	}
	im, err := t.Impairment(SettingKey{BitrateBps: c.BitrateBps, Frame: frame})
	if err != nil {
		return Result{}, err
	}
	burst := 1.0
	if c.MeanBurst > 1 {
		if burst, err = BurstRatioFromBursts(c.Loss, c.MeanBurst); err != nil {
			return Result{}, err
		}
	}
	return Score(im.Input(c.MouthToEar, c.Loss, burst))
}
