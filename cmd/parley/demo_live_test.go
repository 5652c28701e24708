package main

import (
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-voice/parley/engine/audio/portaudio"
)

// demoPESQFloor is the lowest PESQ-WB the 8 s live demo may score. Measured with -race on the
// 2-core development machine over the default 3g uplink, the adaptation on and the engine's
// faster failover (commit ea77cb7): 2.55 to 3.04 over five runs, 2.03 to 3.02 over three runs
// with two CPU hogs (yes > /dev/null) besides the other work on the machine; before that
// failover fix, 1.81 and 1.83. An 8 s call loses about a second of audio around the path
// switch (the cut at 4 s, the ICE restart, the move to the relay) on top of the uplink's bursty
// loss, so scores sit well below an unimpaired call's. The floor leaves 0.5 below the lowest
// score seen for a loaded CI machine.
const demoPESQFloor = 1.3

// TestLiveDemo runs 'parley demo --duration 8s': the SAS match, the call switches to the relay
// after the cut, bob's recording scores above the floor, and every report file is written.
func TestLiveDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("live call: 8 s")
	}
	base := runtime.NumGoroutine()
	dir := t.TempDir()
	code, o, e := runCLI(t, "demo", "--duration", "8s", "-out", dir)
	t.Logf("output:\n%s", o)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	sas := regexp.MustCompile(`SAS  alice: (.+?)   bob: (.+?)   match`).FindStringSubmatch(o)
	if sas == nil || sas[1] != sas[2] {
		t.Errorf("no matching SAS printed: %q", sas)
	}
	if !regexp.MustCompile(`path switch: the call now runs through the TURN relay`).MatchString(o) {
		t.Error("no path switch to the relay printed")
	}
	m := regexp.MustCompile(`PESQ-WB of bob's recording against alice's speech: ([0-9.]+)`).FindStringSubmatch(o)
	if m == nil {
		t.Fatal("no PESQ-WB printed")
	}
	wb, err := strconv.ParseFloat(m[1], 64)
	if err != nil || wb < demoPESQFloor {
		t.Errorf("PESQ-WB %s, want at least %.2f", m[1], demoPESQFloor)
	}
	// The printed score is that of the files as written (what `parley bench pesq` reads).
	if code, bo, be := runCLI(t, "bench", "pesq", "-wb", filepath.Join(dir, "alice.wav"), filepath.Join(dir, "bob.wav")); code != 0 {
		t.Errorf("bench pesq on the demo's files: exit %d: %s", code, be)
	} else if bm := regexp.MustCompile(`PESQ-WB  P.862.2 MOS-LQO ([0-9.]+)`).FindStringSubmatch(bo); bm == nil {
		t.Errorf("bench pesq printed no PESQ-WB: %s", bo)
	} else if got, _ := strconv.ParseFloat(bm[1], 64); math.Abs(got-wb) > 0.005+1e-9 { // the demo prints 2 decimals
		t.Errorf("demo printed PESQ-WB %s, bench pesq on alice.wav and bob.wav prints %s", m[1], bm[1])
	}
	for _, row := range []string{`LIVE +live Parley call`, `SIMULATED +fixed 32 kb/s \+ FEC, 80 ms buffer +[0-9.]+ +[0-9.]+ kb/s`, `SIMULATED +fixed 32 kb/s, no FEC`} {
		if !regexp.MustCompile(row).MatchString(o) {
			t.Errorf("comparison row %q not printed", row)
		}
	}
	var st struct {
		Comparison []demoRow    `json:"comparison"`
		Samples    []demoSample `json:"samples"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "stats.json")); err != nil {
		t.Error(err)
	} else if err := json.Unmarshal(b, &st); err != nil {
		t.Errorf("stats.json: %v", err)
	} else {
		sim := 0
		for _, r := range st.Comparison {
			if r.Simulated {
				sim++
				if r.PESQWB < 1 || r.PayloadKbps < 20 || r.DelayMs < float64(replayBufferDelay/time.Millisecond) {
					t.Errorf("implausible replay row %+v", r)
				}
			}
		}
		// Every row's PESQ-WB is what `parley bench pesq` gives for the files the row names.
		for _, r := range st.Comparison {
			q, err := scoreWAVFiles(filepath.Join(dir, r.RefWAV), filepath.Join(dir, r.DegWAV))
			if err != nil {
				t.Errorf("row %q: rescoring %s %s: %v", r.Name, r.RefWAV, r.DegWAV, err)
			} else if q.WB != r.PESQWB {
				t.Errorf("row %q: PESQ-WB %.4f, but %s against %s scores %.4f", r.Name, r.PESQWB, r.DegWAV, r.RefWAV, q.WB)
			}
		}
		if sim != 2 || len(st.Comparison) < 3 {
			t.Errorf("stats.json comparison has %d rows, %d simulated: %+v", len(st.Comparison), sim, st.Comparison)
		}
		if len(st.Samples) < 6 {
			t.Errorf("stats.json has %d per-second samples for an 8 s call", len(st.Samples))
		}
	}
	for _, name := range []string{"alice.wav", "bob.wav", "alice-before-cut.wav", "bob-before-cut.wav",
		"replay-sent.wav", "replay-fec.wav", "replay-plain.wav", "stats.json", "call-report.png"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v (size %d)", name, err, sizeOf(fi))
		}
	}
	f, err := os.Open(filepath.Join(dir, "call-report.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("call-report.png: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 400 {
		t.Errorf("call-report.png is %v", b)
	}
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > base; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutine leak: %d > %d\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
	}
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return 0
	}
	return fi.Size()
}

// TestDemoDevicesFailFast: without a sound card, 'demo -mic' and 'demo -speaker' must fail at
// once with an error naming the missing device (not hang, not start a call); asking for both
// notes that the echo canceller takes the speaker as its reference (never tried on real
// hardware), or, with -aec off, warns about feedback.
func TestDemoDevicesFailFast(t *testing.T) {
	if m, err := portaudio.OpenMicrophone(); err == nil {
		m.Close()
		t.Skip("this machine has a microphone: the missing-device path cannot be exercised")
	}
	if s, err := portaudio.OpenSpeaker(); err == nil {
		s.Close()
		t.Skip("this machine has a speaker: the missing-device path cannot be exercised")
	}
	for _, tc := range []struct {
		args []string
		want string
		note string // what stdout says first ("" nothing)
	}{
		{[]string{"-mic", "-speaker"}, "demo -mic: cannot open the microphone", "never been tried on real hardware"},
		{[]string{"-mic", "-speaker", "-aec", "off"}, "demo -mic: cannot open the microphone", "Use headphones"},
		{[]string{"-speaker"}, "demo -speaker: cannot open the speaker", ""},
	} {
		dir := t.TempDir()
		start := time.Now()
		code, o, e := runCLI(t, append([]string{"demo", "-duration", "4s", "-out", dir}, tc.args...)...)
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%v: took %v to fail", tc.args, took)
		}
		if code != 1 || !strings.Contains(e, tc.want) || !strings.Contains(e, "no audio device") {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", tc.args, code, e, tc.want)
		}
		if strings.Contains(o, "SAS") {
			t.Errorf("%v: a call started: %s", tc.args, o)
		}
		if tc.note == "" && o != "" || tc.note != "" && !strings.Contains(o, tc.note) {
			t.Errorf("%v: stdout %q, want %q", tc.args, o, tc.note)
		}
	}
}

// TestLiveDemoRelay runs 'parley demo -relay': the call is on the TURN relay from its first
// second to its last, and nothing is cut.
func TestLiveDemoRelay(t *testing.T) {
	if testing.Short() {
		t.Skip("live call: 4 s")
	}
	dir := t.TempDir()
	code, o, e := runCLI(t, "demo", "-relay", "-duration", "4s", "-out", dir)
	t.Logf("output:\n%s", o)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	if strings.Contains(o, "network change") || !strings.Contains(o, "relay-only call (-relay)") {
		t.Error("a relay-only call was cut, or did not say it was relay-only")
	}
	b, err := os.ReadFile(filepath.Join(dir, "stats.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		CutAt   float64      `json:"cut_at_s"`
		Samples []demoSample `json:"samples"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.CutAt >= 0 || len(st.Samples) < 3 {
		t.Errorf("cut at %v, %d samples", st.CutAt, len(st.Samples))
	}
	for _, s := range st.Samples {
		if s.Path != "relay" {
			t.Errorf("second %.0f on path %q, want relay", s.T, s.Path)
		}
	}
}
