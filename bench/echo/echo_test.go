package echo_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-voice/parley/bench/echo"
	"github.com/parley-voice/parley/internal/echolab"
)

func TestOptionsErrors(t *testing.T) {
	if _, err := echo.Run(context.Background(), echo.Options{}); !errors.Is(err, echo.ErrOptions) {
		t.Errorf("no talkers: %v, want ErrOptions", err)
	}
	tk := &echolab.Talkers{Far: []echolab.Talker{{Name: "x", Speech: make([]float32, 480)}}}
	if _, err := echo.Run(context.Background(), echo.Options{Talkers: tk, SERsDB: []float64{99}}); !errors.Is(err, echo.ErrOptions) {
		t.Errorf("SER 99 dB: %v, want ErrOptions", err)
	}
	if n := echo.Runs(echo.Options{}); n != 2*3*2+4+2*7 {
		t.Errorf("Runs of the default bench: %d", n)
	}
}

// TestTableAndPlot: the report's table names every target and the plot is written, from a
// report with known figures.
func TestTableAndPlot(t *testing.T) {
	track := make([]echolab.ERLEPoint, 180)
	for i := range track {
		track[i] = echolab.ERLEPoint{At: time.Duration(i) * echolab.ERLEWindow, DB: 30 + float64(i%7), Valid: i%10 != 0 && (i < 50 || i >= 80)}
	}
	rep := &echo.Report{}
	for _, c := range echo.EchoConfigs() {
		row := echo.EchoRow{Far: "wb", Path: echolab.Paths[1].Name, Config: c.Name, ERLEdB: 33, ERLEChangeDB: 30, ERLELastDB: 31,
			DoubleTalkPESQ: 2, NearOnlyPESQ: 4.2, CPUPerFrame: 100 * time.Microsecond, Track: track}
		if c.APM == nil {
			row.ERLEdB, row.DoubleTalkPESQ, row.CPUPerFrame, row.Track = math.NaN(), 1.5, 0, nil
		}
		rep.Echo = append(rep.Echo, row)
	}
	rep.Echo = append(rep.Echo, echo.EchoRow{Far: "wb", Path: echolab.Paths[1].Name, Condition: "delay +10%", Config: "aec", ERLEdB: 31, Track: track})
	for _, snr := range []float64{math.NaN(), 5} {
		for i, c := range echo.NSConfigs() {
			rep.NS = append(rep.NS, echo.NSRow{Clip: "wb", Noise: "white", SNRdB: snr, Config: c.Name, PESQ: 1.5 + 0.2*float64(i)})
		}
	}
	var buf bytes.Buffer
	if err := rep.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"ERLE after 2 s, aec     median of 1 runs 33.0 dB",
		"double talk at SER  0 dB, aec     PESQ-WB median 2.00 (none 1.50), gain median +0.50",
		"robustness delay +10%",
		"noise suppression at  5 dB SNR: PESQ-WB gain (ns − none) median +0.60",
		"CPU per 10 ms frame",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
	png := filepath.Join(t.TempDir(), "erle.png")
	if err := rep.Plot(png); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
		t.Errorf("plot: %v, %v", st, err)
	}
}
