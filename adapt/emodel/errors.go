package emodel

import (
	"errors"
	"fmt"
	"math"
)

// Sentinel errors. Functions wrap them with detail; test with errors.Is. A NaN or infinite value
// wraps both the sentinel of the offending input and ErrNotFinite.
var (
	// ErrNotFinite is wrapped (besides the input's own sentinel) when an input is NaN or ±Inf.
	ErrNotFinite = errors.New("emodel: not a finite number")
	// ErrLoss is returned for a loss that is not a fraction in [0, 1].
	ErrLoss = errors.New("emodel: loss must be a fraction in [0, 1]")
	// ErrDelay is returned for a negative mouth-to-ear delay.
	ErrDelay = errors.New("emodel: negative mouth-to-ear delay")
	// ErrBurstRatio is returned for a burst ratio below 1 (other than the zero value, which means
	// random loss), and by the burst-ratio helpers for inputs that define no burst ratio.
	ErrBurstRatio = errors.New("emodel: burst ratio must be at least 1")
	// ErrIe is returned for an equipment impairment factor outside [0, Rmax] of its scale
	// (95 narrowband, 129 wideband).
	ErrIe = errors.New("emodel: equipment impairment Ie out of range")
	// ErrBpl is returned for a packet-loss robustness factor below 1, the lower end of the G.107
	// range (which also keeps Ie,eff finite).
	ErrBpl = errors.New("emodel: packet-loss robustness Bpl must be at least 1")
	// ErrAdvantage is returned for an advantage factor A outside [0, 20] (G.107 §7.6).
	ErrAdvantage = errors.New("emodel: advantage factor A outside [0, 20]")
	// ErrBand is returned for a Band that is not Narrowband, Wideband or SuperWideband.
	ErrBand = errors.New("emodel: unsupported band")
	// ErrRateControl is returned for a RateControl that is not VBR or CBR.
	ErrRateControl = errors.New("emodel: unsupported rate control")
	// ErrBitrate is returned for a bitrate that is not positive.
	ErrBitrate = errors.New("emodel: bitrate must be positive")
	// ErrTable is returned by NewTable for an invalid table, and by lookups for a band and rate
	// control the table has no entries for.
	ErrTable = errors.New("emodel: invalid or incomplete impairment table")
	// ErrTerminal is returned by Terminal.Rating for a G.107 parameter outside its permitted
	// range.
	ErrTerminal = errors.New("emodel: G.107 parameter out of range")
	// ErrMOS is returned by Band.RFromMOS for a MOS that is not a finite number.
	ErrMOS = errors.New("emodel: MOS must be a finite number")
	// ErrFit is returned by FitBpl when the points cannot determine a Bpl (none with loss).
	ErrFit = errors.New("emodel: impairment fit needs lossy points")
	// ErrSettingTable is returned by NewSettingTable and ParseSettingTable for an invalid table
	// or a malformed data file.
	ErrSettingTable = errors.New("emodel: invalid setting impairment table")
)

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// invalid wraps sentinel with the offending value, and ErrNotFinite too when v is NaN or ±Inf.
func invalid(sentinel error, name string, v float64) error {
	if !finite(v) {
		return fmt.Errorf("%w: %s = %v (%w)", sentinel, name, v, ErrNotFinite)
	}
	return fmt.Errorf("%w: %s = %v", sentinel, name, v)
}
