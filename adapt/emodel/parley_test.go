package emodel

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestParleyOpusTable checks the checked-in refit table: it parses, carries its version and the
// command that regenerates it, covers the sweep's grid, and has the shape PESQ measured —
// quality rising with bitrate, and RED making loss cheaper.
func TestParleyOpusTable(t *testing.T) {
	tab, err := ParleyOpusTable()
	if err != nil {
		t.Fatal(err)
	}
	if tab.Version() != ParleyOpusTableVersion {
		t.Errorf("version %q, want %q", tab.Version(), ParleyOpusTableVersion)
	}
	if !bytes.Contains(parleyOpusCSV, []byte("parley bench refit")) {
		t.Error("the data file does not name the command that regenerates it")
	}
	ms := time.Millisecond
	for _, fr := range []time.Duration{20 * ms, 40 * ms, 60 * ms} {
		for _, fec := range []bool{false, true} {
			for red := range 3 {
				if k := (SettingKey{Frame: fr, FEC: fec, REDDepth: red}); !tab.Has(k) {
					t.Errorf("no curve for %+v", k)
				}
			}
		}
	}
	ie := func(b int) float64 {
		im, err := tab.Impairment(SettingKey{BitrateBps: b, Frame: 20 * ms})
		if err != nil {
			t.Fatal(err)
		}
		return im.Ie
	}
	if !(ie(6000) > ie(12000) && ie(12000) > ie(32000)) {
		t.Errorf("Ie does not fall with bitrate: 6k %.1f, 12k %.1f, 32k %.1f", ie(6000), ie(12000), ie(32000))
	}
	plain, _ := tab.Impairment(SettingKey{BitrateBps: 16000, Frame: 20 * ms})
	red, _ := tab.Impairment(SettingKey{BitrateBps: 16000, Frame: 20 * ms, REDDepth: 2})
	if red.BplBursty < plain.BplBursty+5 || red.BplRandom < 2*plain.BplRandom {
		t.Errorf("RED 2 Bpl %.1f/%.1f not clearly above plain %.1f/%.1f", red.BplRandom, red.BplBursty,
			plain.BplRandom, plain.BplBursty)
	}
	// The file round-trips through its own writer.
	var buf bytes.Buffer
	if err := tab.WriteCSV(&buf, nil); err != nil {
		t.Fatal(err)
	}
	back, err := ParseSettingTable(buf.Bytes())
	if err != nil || len(back.Entries()) != len(tab.Entries()) {
		t.Fatalf("round trip: %v", err)
	}
	if !strings.HasPrefix(string(parleyOpusCSV), "#") {
		t.Error("the data file does not start with its header comment")
	}
}
