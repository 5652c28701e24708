package echo

import (
	"os"
	"testing"

	"github.com/parley-voice/parley/engine/audio/apm"
	"github.com/parley-voice/parley/internal/echolab"
)

// TestCompareDefaults measures the choices behind apm's defaults on the bench's echo scenarios
// (2 far clips × 3 paths × SER 0 and 10 dB): the default canceller against the same without
// speexdsp's residual echo suppressor, with webrtc's 80 Hz high-pass instead of the DC
// blocker, and with a stronger suppressor in double talk; and what each costs clean speech
// (8 s of each clip as the near end, the far end silent). It takes minutes, so it runs only
// with PARLEY_APM_COMPARE=1:
//
//	PARLEY_APM_COMPARE=1 go test -run TestCompareDefaults -v ./bench/echo
func TestCompareDefaults(t *testing.T) {
	if os.Getenv("PARLEY_APM_COMPARE") == "" {
		t.Skip("set PARLEY_APM_COMPARE=1 (minutes of CPU)")
	}
	tk, err := echolab.LoadTalkers("")
	if err != nil {
		t.Fatal(err)
	}
	confs := []Config{
		{Name: "aec", APM: &apm.Config{EchoCancel: true}},
		{Name: "aec-nores", APM: &apm.Config{EchoCancel: true, NoEchoResidual: true}},
		{Name: "aec-hpf", APM: &apm.Config{EchoCancel: true, HighPass: true}},
		{Name: "aec-res15", APM: &apm.Config{EchoCancel: true, EchoResidualActiveDB: -15}},
	}
	type agg struct{ erle, dt0, dt10 []float64 }
	res := make([]agg, len(confs))
	o := Options{Talkers: tk, Seed: 1}
	for _, far := range tk.Far {
		for _, p := range echolab.Paths {
			for _, ser := range []float64{0, 10} {
				rows, err := runEcho(o, echoJob{far: far, path: p, ser: ser, confs: confs})
				if err != nil {
					t.Fatal(err)
				}
				for i, r := range rows {
					res[i].erle = append(res[i].erle, r.ERLEdB)
					if ser == 0 {
						res[i].dt0 = append(res[i].dt0, r.DoubleTalkPESQ)
					} else {
						res[i].dt10 = append(res[i].dt10, r.DoubleTalkPESQ)
					}
				}
			}
		}
	}
	for i, c := range confs {
		a := res[i]
		t.Logf("%-10s ERLE after 2 s median %.1f dB (worst %.1f); double talk PESQ-WB median SER 0 dB %.2f (worst %.2f), SER 10 dB %.2f (worst %.2f)",
			c.Name, echolab.Median(a.erle), minf(a.erle), echolab.Median(a.dt0), minf(a.dt0), echolab.Median(a.dt10), minf(a.dt10))
	}
	for _, clip := range []echolab.Talker{trim(tk.Far[0], 8), trim(tk.Near, 8)} {
		for _, c := range confs {
			out, _, err := process(c, make([]float32, len(clip.Speech)), clip.Speech)
			if err != nil {
				t.Fatal(err)
			}
			s, err := pesqWB(clip.Speech[:len(out)], out)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("clean %-4s %-10s PESQ-WB %.3f (the clip itself 4.644)", clip.Name, c.Name, s)
		}
	}
	if d := echolab.Median(res[0].dt0) - echolab.Median(res[1].dt0); d < 0.05 {
		t.Errorf("the residual echo suppressor gains %.2f PESQ-WB in double talk at SER 0 dB, want ≥ 0.05", d)
	}
}
