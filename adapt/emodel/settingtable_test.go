package emodel

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func testSettingEntries() []SettingEntry {
	k := func(b int, fr time.Duration, fec bool, red, low int) SettingKey {
		return SettingKey{BitrateBps: b, Frame: fr, FEC: fec, REDDepth: red, REDLowRateBps: low}
	}
	ms := time.Millisecond
	return []SettingEntry{
		{SettingKey: k(32000, 20*ms, false, 0, 0), Ie: 8, BplRandom: 14, BplBursty: 20, PESQClean: 4.56, Points: 5},
		{SettingKey: k(16000, 20*ms, false, 0, 0), Ie: 16, BplRandom: 16, BplBursty: 22, PESQClean: 4.4, Points: 5},
		{SettingKey: k(16000, 60*ms, false, 2, 8000), Ie: 18, BplRandom: 90, BplBursty: 30, Points: 5, RMSEBursty: 2.5},
		{SettingKey: k(16000, 20*ms, true, 1, 0), Ie: 20, BplRandom: 100, BplBursty: 35},
	}
}

func TestSettingTableRoundTrip(t *testing.T) {
	tab, err := NewSettingTable("test-v1", testSettingEntries())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tab.WriteCSV(&buf, []string{"a comment", "two\nlines"}); err != nil {
		t.Fatal(err)
	}
	back, err := ParseSettingTable(buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if back.Version() != "test-v1" {
		t.Errorf("version %q", back.Version())
	}
	a, b := tab.Entries(), back.Entries()
	if len(a) != len(b) {
		t.Fatalf("%d entries back, want %d", len(b), len(a))
	}
	for i := range a {
		if a[i] != b[i] { // values have 3 decimals: exact through the file
			t.Errorf("entry %d: %+v, want %+v", i, b[i], a[i])
		}
	}
}

func TestSettingTableImpairment(t *testing.T) {
	tab, err := NewSettingTable("test-v1", testSettingEntries())
	if err != nil {
		t.Fatal(err)
	}
	k := SettingKey{BitrateBps: 24000, Frame: 20 * time.Millisecond}
	im, err := tab.Impairment(k)
	if err != nil {
		t.Fatal(err)
	}
	if im.Ie != 12 || im.BplRandom != 15 || im.BplBursty != 21 || im.Clamped || im.Band != Wideband {
		t.Errorf("24 kb/s between 16 and 32: %+v, want the midpoint", im)
	}
	k.BitrateBps = 64000
	if im, _ := tab.Impairment(k); im.Ie != 8 || !im.Clamped {
		t.Errorf("64 kb/s above the curve: %+v, want 32 kb/s's values, clamped", im)
	}
	k.BitrateBps = 6000
	if im, _ := tab.Impairment(k); im.Ie != 16 || !im.Clamped {
		t.Errorf("6 kb/s below the curve: %+v, want 16 kb/s's values, clamped", im)
	}
	low := SettingKey{BitrateBps: 16000, Frame: 60 * time.Millisecond, REDDepth: 2, REDLowRateBps: 8000}
	if im, err := tab.Impairment(low); err != nil || im.BplBursty != 30 {
		t.Errorf("low-rate RED: %+v, %v", im, err)
	}
	missing := SettingKey{BitrateBps: 16000, Frame: 40 * time.Millisecond}
	if tab.Has(missing) {
		t.Error("Has reports a curve the table lacks")
	}
	if _, err := tab.Impairment(missing); !errors.Is(err, ErrSettingTable) {
		t.Errorf("missing curve: %v", err)
	}
	if _, err := tab.Impairment(SettingKey{Frame: 20 * time.Millisecond}); !errors.Is(err, ErrBitrate) {
		t.Errorf("zero bitrate: %v", err)
	}
	var nilTab *SettingTable
	if _, err := nilTab.Impairment(k); !errors.Is(err, ErrSettingTable) || nilTab.Has(k) || nilTab.Version() != "" {
		t.Errorf("nil table: %v", err)
	}
}

func TestSettingTableRejects(t *testing.T) {
	good := testSettingEntries()
	for name, mut := range map[string]func(e *SettingEntry){
		"bitrate":    func(e *SettingEntry) { e.BitrateBps = 0 },
		"frame":      func(e *SettingEntry) { e.Frame = 0 },
		"depth":      func(e *SettingEntry) { e.REDDepth = 4 },
		"low no red": func(e *SettingEntry) { e.REDDepth, e.REDLowRateBps = 0, 8000 },
		"ie":         func(e *SettingEntry) { e.Ie = 130 },
		"bpl":        func(e *SettingEntry) { e.BplBursty = 0.5 },
		"rmse":       func(e *SettingEntry) { e.RMSERandom = -1 },
	} {
		es := append([]SettingEntry(nil), good...)
		mut(&es[0])
		if _, err := NewSettingTable("v", es); !errors.Is(err, ErrSettingTable) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := NewSettingTable("v", append(good, good[0])); !errors.Is(err, ErrSettingTable) {
		t.Errorf("duplicate accepted: %v", err)
	}
	if _, err := NewSettingTable(" ", good); !errors.Is(err, ErrSettingTable) {
		t.Errorf("blank version accepted: %v", err)
	}
}

func TestParseSettingTableErrors(t *testing.T) {
	hdr := strings.Join(settingHeader, ",")
	row := "16000,20,false,0,0,16,16,22,4.4,5,1,1"
	for name, tc := range map[string]struct{ file, want string }{
		"no version":   {hdr + "\n" + row + "\n", "version"},
		"two versions": {"# version: a\n# version: b\n" + hdr + "\n" + row + "\n", "line 2"},
		"bad header":   {"# version: a\nbitrate,frame\n" + row + "\n", "line 2"},
		"short row":    {"# version: a\n" + hdr + "\n16000,20\n", "line 3"},
		"bad number":   {"# version: a\n" + hdr + "\n16000,20,false,0,0,x,16,22,4.4,5,1,1\n", "ie \"x\""},
		"bad bool":     {"# version: a\n" + hdr + "\n16000,20,maybe,0,0,16,16,22,4.4,5,1,1\n", "fec"},
		"bad frame":    {"# version: a\n" + hdr + "\n16000,0,false,0,0,16,16,22,4.4,5,1,1\n", "frame_ms"},
		"bad bpl":      {"# version: a\n" + hdr + "\n16000,20,false,0,0,16,0.5,22,4.4,5,1,1\n", "Bpl"},
		"no rows":      {"# version: a\n" + hdr + "\n", "0 entries"},
		"empty":        {"", "version"},
	} {
		_, err := ParseSettingTable([]byte(tc.file))
		if !errors.Is(err, ErrSettingTable) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v (want ErrSettingTable mentioning %q)", name, err, tc.want)
		}
	}
	if _, err := ParseSettingTable([]byte("# version: a\r\n" + hdr + "\r\n" + row + "\r\n")); err != nil {
		t.Errorf("CRLF file: %v", err)
	}
}

// FuzzParseSettingTable: the data-file parser never panics, and whatever it accepts writes back
// to a file that parses to the same entries.
func FuzzParseSettingTable(f *testing.F) {
	tab, _ := NewSettingTable("seed", testSettingEntries())
	var buf bytes.Buffer
	_ = tab.WriteCSV(&buf, []string{"seed"})
	f.Add(buf.Bytes())
	f.Add([]byte("# version: x\n" + strings.Join(settingHeader, ",") + "\n1,1,true,3,1,0,1,1,0,0,0,0\n"))
	f.Add([]byte("# version: x\n\"a\nb\",\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseSettingTable(data)
		if err != nil {
			if !errors.Is(err, ErrSettingTable) {
				t.Fatalf("error without ErrSettingTable: %v", err)
			}
			return
		}
		var out bytes.Buffer
		if err := got.WriteCSV(&out, nil); err != nil {
			t.Fatal(err)
		}
		back, err := ParseSettingTable(out.Bytes())
		if err != nil {
			t.Fatalf("accepted table does not round-trip: %v\n%s", err, out.String())
		}
		if len(back.Entries()) != len(got.Entries()) {
			t.Fatalf("round trip: %d entries, want %d", len(back.Entries()), len(got.Entries()))
		}
		for _, e := range got.Entries() {
			if _, err := got.Impairment(e.SettingKey); err != nil {
				t.Fatalf("lookup of its own entry: %v", err)
			}
		}
	})
}
