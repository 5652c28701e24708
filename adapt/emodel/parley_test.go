package emodel

import (
	"bytes"
	"math"
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

// TestScoreCall: the one call score falls with delay and loss, rises with bitrate, takes
// burstiness into account, and refuses what it cannot score.
func TestScoreCall(t *testing.T) {
	base := Call{BitrateBps: 32000, Frame: 20 * time.Millisecond, Loss: 0.02, MouthToEar: MouthToEar(40*time.Millisecond, 60*time.Millisecond, 20*time.Millisecond)}
	r0, err := ScoreCall(base)
	if err != nil {
		t.Fatal(err)
	}
	if base.MouthToEar != 150*time.Millisecond {
		t.Errorf("MouthToEar = %v, want 40+60+20+30 ms", base.MouthToEar)
	}
	worse := func(name string, c Call) {
		t.Helper()
		r, err := ScoreCall(c)
		if err != nil {
			t.Fatal(err)
		}
		if !(r.R < r0.R) {
			t.Errorf("%s: R %.2f, not below %.2f", name, r.R, r0.R)
		}
	}
	c := base
	c.MouthToEar += 200 * time.Millisecond
	worse("more delay", c)
	c = base
	c.Loss = 0.1
	worse("more loss", c)
	c = base
	c.MeanBurst = 4
	if r, err := ScoreCall(c); err != nil || r.R == r0.R || r.BurstRatio <= 1 {
		// The measured table decides which way burstiness goes (for plain Opus, PESQ scored
		// bursts of loss better than the same loss spread out).
		t.Errorf("bursty: %v, %v: burstiness ignored", r, err)
	}
	c = base
	c.BitrateBps = 8000
	worse("lower bitrate", c)
	if r, err := ScoreCall(Call{BitrateBps: 32000, Frame: 20 * time.Millisecond, Loss: 1}); err != nil || r.MOS != 1 {
		t.Errorf("all lost: %v, %v", r, err)
	}
	for _, bad := range []Call{{}, {BitrateBps: 32000, Loss: -0.1}, {BitrateBps: 32000, Loss: math.NaN()}, {BitrateBps: 32000, MeanBurst: -1}, {BitrateBps: 32000, MouthToEar: -1}} {
		if _, err := ScoreCall(bad); err == nil {
			t.Errorf("ScoreCall(%+v): no error", bad)
		}
	}
	t.Logf("32 kb/s, 20 ms, 2 %% random loss, 150 ms: %v", r0)
}
