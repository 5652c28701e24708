package emodel

import (
	"errors"
	"math"
	"testing"
)

func TestOpusTableValid(t *testing.T) {
	tab := OpusTable()
	if tab.Version() != OpusTableVersion || OpusTableVersion != "alahmadi2021-v1" {
		t.Errorf("version %q", tab.Version())
	}
	es := tab.Entries()
	if len(es) != 37 {
		t.Errorf("%d entries, want 37 (SWB 11+9, WB 3+4, NB 4+6)", len(es))
	}
	if _, err := NewTable(OpusTableVersion, opusEntries()); err != nil {
		t.Errorf("built-in table invalid: %v", err)
	}
	// Spot values from the source (EMODEL.md quotes them rounded).
	for _, c := range []struct {
		band         Band
		rc           RateControl
		kbps         int
		ie, bpr, bpb float64
	}{
		{SuperWideband, VBR, 40, 10.7, 9.8, 8.0},
		{SuperWideband, CBR, 28, 23.7, 11.67, 9.98},
		{Wideband, VBR, 12, 23.3, 22.2, 18.9},
		{Wideband, CBR, 15, 18.1, 18.7, 16.1},
		{Narrowband, VBR, 9, 11.7, 18.9, 12.4},
		{Narrowband, CBR, 11, 2.0, 15.95, 10.73},
	} {
		im, err := tab.Impairment(c.band, c.rc, 1000*c.kbps)
		if err != nil || im.Clamped || !near(im.Ie, c.ie, 0.05) || !near(im.BplRandom, c.bpr, 0.05) ||
			!near(im.BplBursty, c.bpb, 0.05) {
			t.Errorf("%v %v %d kb/s: %+v, %v", c.band, c.rc, c.kbps, im, err)
		}
	}
	// Entries returns a copy.
	es[0].Ie = 99
	if tab.Entries()[0].Ie == 99 {
		t.Error("Entries exposes the table's storage")
	}
}

func TestTableInterpolation(t *testing.T) {
	tab := OpusTable()
	// Halfway between SWB VBR 22 kb/s (20.223) and 25 kb/s (20.209).
	im, err := tab.Impairment(SuperWideband, VBR, 23500)
	if err != nil {
		t.Fatal(err)
	}
	want := (20.22332357 + 20.20905481) / 2
	if im.Clamped || !near(im.Ie, want, 1e-9) || !near(im.BplRandom, (10.47+11.28)/2, 1e-9) ||
		!near(im.BplBursty, (8.57+9.18)/2, 1e-9) {
		t.Errorf("23.5 kb/s: %+v, want Ie %v", im, want)
	}
	// A third of the way from WB CBR 12 to 13 kb/s.
	im, _ = tab.Impairment(Wideband, CBR, 12333)
	if w := 29.76435108 + 0.333*(26.16108167-29.76435108); !near(im.Ie, w, 1e-9) {
		t.Errorf("WB CBR 12.333 kb/s: Ie %v, want %v", im.Ie, w)
	}
	// Clamped outside the measured range.
	for _, c := range []struct {
		bps, atBps int
	}{{50000, 40000}, {8000, 14000}} {
		im, _ := tab.Impairment(SuperWideband, VBR, c.bps)
		end, _ := tab.Impairment(SuperWideband, VBR, c.atBps)
		if !im.Clamped || im.Ie != end.Ie || im.BplRandom != end.BplRandom || im.BitrateBps != c.bps {
			t.Errorf("SWB VBR %d b/s: %+v, want the %d b/s values, clamped", c.bps, im, c.atBps)
		}
	}
}

func TestBandFor(t *testing.T) {
	tab := OpusTable()
	for _, c := range []struct {
		rc   RateControl
		bps  int
		want Band
	}{
		{VBR, 1000, Narrowband}, {VBR, 6000, Narrowband}, {VBR, 10999, Narrowband},
		{VBR, 11000, Wideband}, {VBR, 13999, Wideband}, {VBR, 14000, SuperWideband},
		{VBR, 64000, SuperWideband},
		{CBR, 11999, Narrowband}, {CBR, 12000, Wideband}, {CBR, 15999, Wideband},
		{CBR, 16000, SuperWideband},
	} {
		got, err := tab.BandFor(c.rc, c.bps)
		if err != nil || got != c.want {
			t.Errorf("BandFor(%v, %d) = %v, %v; want %v", c.rc, c.bps, got, err, c.want)
		}
	}
	// 10 kb/s VBR is narrowband, held at the 9 kb/s value.
	im, err := tab.Lookup(VBR, 10000)
	if err != nil || im.Band != Narrowband || !im.Clamped || !near(im.Ie, 11.74, 0.01) {
		t.Errorf("Lookup(VBR, 10000) = %+v, %v", im, err)
	}
}

func TestTableErrors(t *testing.T) {
	good := Entry{Band: Wideband, RateControl: VBR, BitrateBps: 16000, Ie: 10, BplRandom: 10,
		BplBursty: 8}
	for _, c := range []struct {
		name    string
		version string
		mod     func(*Entry)
		want    error
	}{
		{"empty version", "", func(*Entry) {}, ErrTable},
		{"bad band", "v", func(e *Entry) { e.Band = 0 }, ErrBand},
		{"bad rate control", "v", func(e *Entry) { e.RateControl = 3 }, ErrRateControl},
		{"zero bitrate", "v", func(e *Entry) { e.BitrateBps = 0 }, ErrBitrate},
		{"Ie NaN", "v", func(e *Entry) { e.Ie = math.NaN() }, ErrNotFinite},
		{"Ie over NB Rmax", "v", func(e *Entry) { e.Band, e.Ie = Narrowband, 100 }, ErrIe},
		{"Bpl zero", "v", func(e *Entry) { e.BplRandom = 0 }, ErrBpl},
		{"bursty Bpl Inf", "v", func(e *Entry) { e.BplBursty = math.Inf(1) }, ErrBpl},
	} {
		e := good
		c.mod(&e)
		_, err := NewTable(c.version, []Entry{e})
		if !errors.Is(err, ErrTable) || !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want ErrTable and %v", c.name, err, c.want)
		}
	}
	if _, err := NewTable("v", nil); !errors.Is(err, ErrTable) {
		t.Errorf("no entries: %v", err)
	}
	if _, err := NewTable("v", []Entry{good, good}); !errors.Is(err, ErrTable) {
		t.Errorf("duplicate: %v", err)
	}

	// A refit table with only WB VBR entries.
	tab, err := NewTable("pesq-refit-test", []Entry{good, {Band: Wideband, RateControl: VBR,
		BitrateBps: 24000, Ie: 6, BplRandom: 12, BplBursty: 9}})
	if err != nil {
		t.Fatal(err)
	}
	if im, err := tab.Lookup(VBR, 20000); err != nil || im.Ie != 8 || im.Band != Wideband {
		t.Errorf("refit Lookup(VBR, 20000) = %+v, %v; want WB Ie 8", im, err)
	}
	if im, err := tab.Lookup(VBR, 8000); err != nil || !im.Clamped || im.Band != Wideband {
		t.Errorf("refit Lookup(VBR, 8000) = %+v, %v; want clamped WB", im, err)
	}
	if _, err := tab.Lookup(CBR, 20000); !errors.Is(err, ErrTable) {
		t.Errorf("missing CBR: %v", err)
	}
	if _, err := tab.Impairment(Narrowband, VBR, 20000); !errors.Is(err, ErrTable) {
		t.Errorf("missing NB: %v", err)
	}
	for _, c := range []struct {
		band Band
		rc   RateControl
		bps  int
		want error
	}{{0, VBR, 1, ErrBand}, {Wideband, 0, 1, ErrRateControl}, {Wideband, VBR, -1, ErrBitrate}} {
		if _, err := tab.Impairment(c.band, c.rc, c.bps); !errors.Is(err, c.want) {
			t.Errorf("Impairment(%v, %v, %d): %v, want %v", c.band, c.rc, c.bps, err, c.want)
		}
	}
	var nilTab *Table
	if _, err := nilTab.Lookup(VBR, 20000); !errors.Is(err, ErrTable) || nilTab.Version() != "" ||
		nilTab.Entries() != nil {
		t.Errorf("nil table: %v", err)
	}
	if _, err := tab.BandFor(VBR, 0); !errors.Is(err, ErrBitrate) {
		t.Errorf("BandFor zero bitrate: %v", err)
	}
}

func TestImpairmentBpl(t *testing.T) {
	im := Impairment{BplRandom: 11, BplBursty: 9}
	for _, c := range []struct{ b, want float64 }{
		{0, 11}, {1, 11}, {0.5, 11}, {math.NaN(), 11}, {1.5, 10}, {2, 9}, {8, 9}, {math.Inf(1), 9},
	} {
		if got := im.Bpl(c.b); got != c.want {
			t.Errorf("Bpl(%v) = %v, want %v", c.b, got, c.want)
		}
	}
}
