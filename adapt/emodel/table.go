package emodel

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// RateControl is Opus's rate-control mode. The zero value is invalid.
type RateControl int

// Rate-control modes.
const (
	VBR RateControl = iota + 1 // variable bitrate (constrained or not)
	CBR                        // constant bitrate
)

// String returns "VBR", "CBR" or "RateControl(n)".
func (rc RateControl) String() string {
	switch rc {
	case VBR:
		return "VBR"
	case CBR:
		return "CBR"
	}
	return fmt.Sprintf("RateControl(%d)", int(rc))
}

// BurstyReference is the burst ratio at which an Impairment's bursty Bpl applies in full (see
// Impairment.Bpl). The documented worked example of the Opus table pairs the bursty Bpl with
// BurstR = 2, and reproduces its published figures only that way.
const BurstyReference = 2.0

// Entry is one measured point of a codec impairment table: the equipment impairment and the
// packet-loss robustness under random and under bursty loss of one band, rate control and
// bitrate, on the band's rating scale.
type Entry struct {
	Band        Band
	RateControl RateControl
	BitrateBps  int     // > 0
	Ie          float64 // in [0, Rmax] of the band's scale
	BplRandom   float64 // ≥ 1, Bpl measured under random loss
	BplBursty   float64 // ≥ 1, Bpl measured under bursty loss
}

// Impairment is a table lookup result: the codec parameters at one bitrate.
type Impairment struct {
	Band        Band
	RateControl RateControl
	BitrateBps  int // the bitrate asked for
	Ie          float64
	BplRandom   float64
	BplBursty   float64
	// Clamped reports that BitrateBps lay outside the measured range of the band and rate
	// control, so the values are those of the nearest measured bitrate: the estimate is then
	// outside the table's depth.
	Clamped bool
}

// Bpl returns the packet-loss robustness for a burst ratio: BplRandom at BurstR ≤ 1 (and for the
// zero value, or an invalid NaN), BplBursty at BurstR ≥ BurstyReference, linear in BurstR in
// between.
func (im Impairment) Bpl(burstRatio float64) float64 {
	switch {
	case !(burstRatio > 1):
		return im.BplRandom
	case burstRatio >= BurstyReference:
		return im.BplBursty
	}
	f := (burstRatio - 1) / (BurstyReference - 1)
	return im.BplRandom + f*(im.BplBursty-im.BplRandom)
}

// Input assembles the Score input for this codec at a mouth-to-ear delay, post-jitter-buffer
// loss fraction 0..1 and burst ratio (≥ 1; 0 means 1), choosing Bpl with Impairment.Bpl.
func (im Impairment) Input(mouthToEar time.Duration, loss, burstRatio float64) Input {
	return Input{
		Band:       im.Band,
		MouthToEar: mouthToEar,
		Loss:       loss,
		BurstRatio: burstRatio,
		Ie:         im.Ie,
		Bpl:        im.Bpl(burstRatio),
	}
}

// Table is a validated, immutable codec impairment table (for instance OpusTable, or one refit
// from PESQ sweeps). Safe for concurrent use.
type Table struct {
	version string
	entries []Entry // sorted by band, rate control, bitrate
}

// curve is the entries of one band and rate control, sorted by bitrate.
func (t *Table) curve(band Band, rc RateControl) []Entry {
	lo, _ := slices.BinarySearchFunc(t.entries, Entry{Band: band, RateControl: rc}, compareEntry)
	hi := lo
	for hi < len(t.entries) && t.entries[hi].Band == band && t.entries[hi].RateControl == rc {
		hi++
	}
	return t.entries[lo:hi]
}

// compareEntry orders entries by band, rate control and bitrate.
func compareEntry(a, b Entry) int {
	return cmp.Or(cmp.Compare(a.Band, b.Band), cmp.Compare(a.RateControl, b.RateControl),
		cmp.Compare(a.BitrateBps, b.BitrateBps))
}

// NewTable validates entries and returns a table labelled version (non-empty; record where the
// values come from, e.g. "pesq-sweep-2026-11-25"). Every entry needs a valid band and rate
// control, a positive bitrate, Ie in [0, Rmax] of its band's scale and finite Bpl values ≥ 1; a band, rate control and bitrate may appear once. The entries are copied.
func NewTable(version string, entries []Entry) (*Table, error) {
	if version == "" {
		return nil, fmt.Errorf("%w: empty version", ErrTable)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%w: no entries", ErrTable)
	}
	es := slices.Clone(entries)
	for i, e := range es {
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("%w: entry %d: %w", ErrTable, i, err)
		}
	}
	slices.SortFunc(es, compareEntry)
	for i := 1; i < len(es); i++ {
		if compareEntry(es[i-1], es[i]) == 0 {
			return nil, fmt.Errorf("%w: duplicate entry %v %v %d b/s", ErrTable, es[i].Band,
				es[i].RateControl, es[i].BitrateBps)
		}
	}
	return &Table{version: version, entries: es}, nil
}

// validate checks one entry.
func (e Entry) validate() error {
	sc, err := e.Band.scale()
	if err != nil {
		return err
	}
	if e.RateControl != VBR && e.RateControl != CBR {
		return fmt.Errorf("%w: %v", ErrRateControl, e.RateControl)
	}
	if e.BitrateBps <= 0 {
		return fmt.Errorf("%w: %d b/s", ErrBitrate, e.BitrateBps)
	}
	if !finite(e.Ie) || e.Ie < 0 || e.Ie > sc.rmax {
		return invalid(ErrIe, "Ie", e.Ie)
	}
	if !finite(e.BplRandom) || e.BplRandom < 1 {
		return invalid(ErrBpl, "Bpl (random)", e.BplRandom)
	}
	if !finite(e.BplBursty) || e.BplBursty < 1 {
		return invalid(ErrBpl, "Bpl (bursty)", e.BplBursty)
	}
	return nil
}

// Version returns the label the table was built with.
func (t *Table) Version() string {
	if t == nil {
		return ""
	}
	return t.version
}

// Entries returns a copy of the entries, sorted by band, rate control and bitrate.
func (t *Table) Entries() []Entry {
	if t == nil {
		return nil
	}
	return slices.Clone(t.entries)
}

// Impairment returns the codec parameters for a band, rate control and bitrate. Between two
// measured bitrates Ie and both Bpl values are interpolated linearly in bitrate; outside the
// measured range they are those of the nearest end (Clamped is then set), since extrapolating a
// measured curve is less trustworthy than holding it. It returns ErrBand, ErrRateControl or
// ErrBitrate for invalid arguments and ErrTable when the table has no entries for the band and
// rate control.
func (t *Table) Impairment(band Band, rc RateControl, bitrateBps int) (Impairment, error) {
	if t == nil {
		return Impairment{}, fmt.Errorf("%w: nil table", ErrTable)
	}
	if _, err := band.scale(); err != nil {
		return Impairment{}, err
	}
	if rc != VBR && rc != CBR {
		return Impairment{}, fmt.Errorf("%w: %v", ErrRateControl, rc)
	}
	if bitrateBps <= 0 {
		return Impairment{}, fmt.Errorf("%w: %d b/s", ErrBitrate, bitrateBps)
	}
	c := t.curve(band, rc)
	if len(c) == 0 {
		return Impairment{}, fmt.Errorf("%w: no %v %v entries in table %q", ErrTable, band, rc,
			t.version)
	}
	im := Impairment{Band: band, RateControl: rc, BitrateBps: bitrateBps}
	set := func(e Entry) { im.Ie, im.BplRandom, im.BplBursty = e.Ie, e.BplRandom, e.BplBursty }
	i, exact := slices.BinarySearchFunc(c, bitrateBps, func(e Entry, b int) int {
		return cmp.Compare(e.BitrateBps, b)
	})
	switch {
	case exact:
		set(c[i])
	case i == 0:
		set(c[0])
		im.Clamped = true
	case i == len(c):
		set(c[len(c)-1])
		im.Clamped = true
	default:
		a, b := c[i-1], c[i]
		f := float64(bitrateBps-a.BitrateBps) / float64(b.BitrateBps-a.BitrateBps)
		lerp := func(x, y float64) float64 { return x + f*(y-x) }
		im.Ie = lerp(a.Ie, b.Ie)
		im.BplRandom = lerp(a.BplRandom, b.BplRandom)
		im.BplBursty = lerp(a.BplBursty, b.BplBursty)
	}
	return im, nil
}

// BandFor returns the band a bitrate implies for a rate control: the widest band whose lowest
// measured bitrate is at or below bitrateBps, or, below every band's range, the band with the
// lowest measured bitrate. For OpusTable this gives, for VBR, Narrowband below 11 kb/s, Wideband
// from 11 to below 14 kb/s and SuperWideband from 14 kb/s; for CBR, Narrowband below 12 kb/s,
// Wideband from 12 to below 16 kb/s and SuperWideband from 16 kb/s. The encoder's maximum
// bandwidth should follow the same rule, or callers should use Impairment with the band the
// encoder really produces.
func (t *Table) BandFor(rc RateControl, bitrateBps int) (Band, error) {
	if t == nil {
		return 0, fmt.Errorf("%w: nil table", ErrTable)
	}
	if rc != VBR && rc != CBR {
		return 0, fmt.Errorf("%w: %v", ErrRateControl, rc)
	}
	if bitrateBps <= 0 {
		return 0, fmt.Errorf("%w: %d b/s", ErrBitrate, bitrateBps)
	}
	var best, lowest Band
	lowestRate := 0
	for _, b := range [...]Band{Narrowband, Wideband, SuperWideband} {
		c := t.curve(b, rc)
		if len(c) == 0 {
			continue
		}
		if r := c[0].BitrateBps; lowest == 0 || r < lowestRate {
			lowest, lowestRate = b, r
		}
		if c[0].BitrateBps <= bitrateBps {
			best = b
		}
	}
	switch {
	case best != 0:
		return best, nil
	case lowest != 0:
		return lowest, nil
	}
	return 0, fmt.Errorf("%w: no %v entries in table %q", ErrTable, rc, t.version)
}

// Lookup returns the codec parameters for a rate control and bitrate in the band BandFor
// implies.
func (t *Table) Lookup(rc RateControl, bitrateBps int) (Impairment, error) {
	band, err := t.BandFor(rc, bitrateBps)
	if err != nil {
		return Impairment{}, err
	}
	return t.Impairment(band, rc, bitrateBps)
}
