package echo

import (
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/internal/echolab"
)

// TestSpeexComparison measures speexdsp's echo canceller alone, as its own example program
// runs it (MDF and the preprocessor's residual echo suppression at 16 kHz, the tail fitted to
// each path), on the same scenarios as `parley bench apm`: the record of why Parley uses
// speexdsp's linear filter only as the first stage of apm.CancellerHybrid, with
// webrtc-audio-processing after it. It builds a C program, so it runs only with PARLEY_SPEEX=1:
//
//	PARLEY_SPEEX=1 go test -run TestSpeexComparison -v ./bench/echo
//
// speexdsp runs at 16 kHz (160-sample frames, a tail of delay + RT60 + 100 ms) with its
// preprocessor's residual echo suppression; ERLE and PESQ are scored at 48 kHz as in the bench.
func TestSpeexComparison(t *testing.T) {
	if os.Getenv("PARLEY_SPEEX") == "" {
		t.Skip("set PARLEY_SPEEX=1 (needs libspeexdsp-dev and cc)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "speexcmp")
	if out, err := exec.Command("cc", "-O2", "-o", bin, "testdata/speexcmp.c", "-lspeexdsp").CombinedOutput(); err != nil {
		t.Fatalf("building speexcmp (apt-get install libspeexdsp-dev): %v\n%s", err, out)
	}
	tk, err := echolab.LoadTalkers("")
	if err != nil {
		t.Fatal(err)
	}
	var erles, dts, gains []float64
	for _, far := range tk.Far {
		for _, path := range echolab.Paths {
			for _, ser := range []float64{0, 10} {
				sig, err := echolab.Scenario{Far: far, Near: tk.Near, Path: path, Seed: 1, EchoDBFS: echolab.DefaultSpeechDBFS - ser}.Build()
				if err != nil {
					t.Fatal(err)
				}
				f16, _ := codec.Resample(sig.Far, echolab.SampleRateHz, 16000)
				m16, _ := codec.Resample(sig.Mic, echolab.SampleRateHz, 16000)
				writeFloats(t, filepath.Join(dir, "far"), f16)
				writeFloats(t, filepath.Join(dir, "mic"), m16)
				tail := int((path.Delay + path.RT60 + 100*time.Millisecond) / time.Millisecond)
				if out, err := exec.Command(bin, filepath.Join(dir, "far"), filepath.Join(dir, "mic"), filepath.Join(dir, "out"), strconv.Itoa(tail), "0").CombinedOutput(); err != nil {
					t.Fatalf("speexcmp: %v\n%s", err, out)
				}
				out, err := codec.Resample(readFloats(t, filepath.Join(dir, "out")), 16000, echolab.SampleRateHz)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, make([]float32, max(0, len(sig.Mic)-len(out)))...)[:len(sig.Mic)]
				ref := sig.Cut(sig.Near, echolab.DoubleTalk)
				erle := echolab.MedianERLE(sig.ERLE(out), 2*time.Second, time.Hour)
				dt, err := pesqWB(ref, sig.Cut(out, echolab.DoubleTalk))
				if err != nil {
					t.Fatal(err)
				}
				none, err := pesqWB(ref, sig.Cut(sig.Mic, echolab.DoubleTalk))
				if err != nil {
					t.Fatal(err)
				}
				erles, dts, gains = append(erles, erle), append(dts, dt), append(gains, dt-none)
				t.Logf("speexdsp %s %s SER %2.0f dB: ERLE %.1f dB, double-talk PESQ-WB %.2f (none %.2f)", far.Name, path.Name, ser, erle, dt, none)
			}
		}
	}
	t.Logf("speexdsp: ERLE median %.1f dB (worst %.1f); double-talk PESQ-WB median %.2f, gain over none median %+.2f",
		echolab.Median(erles), minf(erles), echolab.Median(dts), echolab.Median(gains))
	if math.IsNaN(echolab.Median(erles)) {
		t.Error("no ERLE measured")
	}
}

func writeFloats(t *testing.T, path string, x []float32) {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFloats(t *testing.T, path string) []float32 {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, len(b)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return x
}
