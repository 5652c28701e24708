package echo

import (
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/parley-voice/parley/internal/echolab"
)

func f1(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}

func f2(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func us(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

// WriteTable prints the report: the echo scenarios, the robustness runs, the noise scenarios
// and a summary against issue 18's targets.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "Echo: ERLE = median over 100 ms far-only windows after 2 s; PESQ-WB of the near end (double talk 6 s, alone 2 s) against the clean near end")
	fmt.Fprintln(tw, "far\tpath\tSER dB\tconfig\tERLE dB\tdouble-talk PESQ\tnear-only PESQ\tCPU/10 ms\t")
	for _, e := range r.Echo {
		if e.Condition != "" {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t\n", e.Far, e.Path, e.SERdB, e.Config, f1(e.ERLEdB), f2(e.DoubleTalkPESQ), f2(e.NearOnlyPESQ), us(e.CPUPerFrame))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nRobustness (far wb, path 60ms-rt200, SER 0 dB; delay change at 9 s): ERLE medians over far-only windows")
	fmt.Fprintln(tw, "condition\tconfig\tafter 2 s\t9–11 s\t16–18 s\tdouble-talk PESQ\t")
	for _, e := range r.Echo {
		if e.Condition == "" && !(e.Far == "wb" && e.Path == echolab.Paths[1].Name && e.SERdB == 0 && e.Config != "none" && e.Config != "webrtc") {
			continue
		}
		c := e.Condition
		if c == "" {
			c = "unchanged"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", c, e.Config, f1(e.ERLEdB), f1(e.ERLEChangeDB), f1(e.ERLELastDB), f2(e.DoubleTalkPESQ))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nNoise suppression: PESQ-WB against the clean clip (8 s)")
	confs := NSConfigs()
	fmt.Fprint(tw, "clip\tnoise\tSNR dB\t")
	for _, c := range confs {
		fmt.Fprintf(tw, "%s\t", c.Name)
	}
	fmt.Fprintln(tw, "ns − none\t")
	for i := 0; i+len(confs) <= len(r.NS); i += len(confs) {
		n := r.NS[i]
		snr := "-"
		if !math.IsNaN(n.SNRdB) {
			snr = fmt.Sprintf("%.0f", n.SNRdB)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t", n.Clip, n.Noise, snr)
		for _, m := range r.NS[i : i+len(confs)] {
			fmt.Fprintf(tw, "%s\t", f2(m.PESQ))
		}
		fmt.Fprintf(tw, "%+.2f\t\n", r.NS[i+3].PESQ-r.NS[i].PESQ)
	}
	tw.Flush()
	r.writeSummary(w)
	return nil
}

// Summary figures, each over every matching row.
func (r *Report) writeSummary(w io.Writer) {
	fmt.Fprintln(w, "\nAgainst the targets (issue 18):")
	plain := func(e EchoRow) bool { return e.Condition == "" }
	for _, conf := range []string{"aec", "webrtc", "call"} {
		var erle []float64
		for _, e := range r.Echo {
			if plain(e) && e.Config == conf {
				erle = append(erle, e.ERLEdB)
			}
		}
		fmt.Fprintf(w, "  ERLE after 2 s, %-7s median of %d runs %s dB, worst %s dB (target ≥ 25 dB median)\n", conf, len(erle), f1(echolab.Median(erle)), f1(minf(erle)))
	}
	sers := map[float64]bool{}
	for _, e := range r.Echo {
		sers[e.SERdB] = true
	}
	var serList []float64
	for s := range sers {
		serList = append(serList, s)
	}
	slices.Sort(serList)
	for _, ser := range serList {
		none := map[string]float64{}
		for _, e := range r.Echo {
			if plain(e) && e.SERdB == ser && e.Config == "none" {
				none[e.Far+"/"+e.Path] = e.DoubleTalkPESQ
			}
		}
		for _, conf := range []string{"aec", "webrtc", "call"} {
			var s, d []float64
			for _, e := range r.Echo {
				if plain(e) && e.SERdB == ser && e.Config == conf {
					s = append(s, e.DoubleTalkPESQ)
					d = append(d, e.DoubleTalkPESQ-none[e.Far+"/"+e.Path])
				}
			}
			fmt.Fprintf(w, "  double talk at SER %2.0f dB, %-7s PESQ-WB median %s (none %s), gain median %+.2f, worst %+.2f (target ≥ 3.0 and ≥ +1.0)\n",
				ser, conf, f2(echolab.Median(s)), f2(echolab.Median(values(none))), echolab.Median(d), minf(d))
		}
	}
	for _, e := range r.Echo {
		if e.Condition != "" && e.Config == "aec" {
			fmt.Fprintf(w, "  robustness %-14s aec: ERLE after 2 s %s dB, in 9–11 s %s dB, in 16–18 s %s dB\n", e.Condition, f1(e.ERLEdB), f1(e.ERLEChangeDB), f1(e.ERLELastDB))
		}
	}
	confs := NSConfigs()
	for _, snr := range []float64{0, 5, 10} {
		var g []float64
		for i := 0; i+len(confs) <= len(r.NS); i += len(confs) {
			if r.NS[i].SNRdB == snr {
				g = append(g, r.NS[i+3].PESQ-r.NS[i].PESQ)
			}
		}
		if len(g) > 0 {
			fmt.Fprintf(w, "  noise suppression at %2.0f dB SNR: PESQ-WB gain (ns − none) median %+.2f, worst %+.2f over %d clip×noise runs (target ≥ +0.3 at 5 dB)\n", snr, echolab.Median(g), minf(g), len(g))
		}
	}
	for i := 0; i+len(confs) <= len(r.NS); i += len(confs) {
		if n := r.NS[i]; math.IsNaN(n.SNRdB) {
			fmt.Fprintf(w, "  clean %-5s: ns − none %+.2f, ns − dc %+.2f (the DC blocker alone %+.2f; webrtc's 80 Hz high-pass alone %+.2f) (target ≥ −0.05)\n",
				n.Clip, r.NS[i+3].PESQ-n.PESQ, r.NS[i+3].PESQ-r.NS[i+1].PESQ, r.NS[i+1].PESQ-n.PESQ, r.NS[i+2].PESQ-n.PESQ)
		}
	}
	for _, conf := range []string{"aec", "call"} {
		var c []float64
		for _, e := range r.Echo {
			if e.Config == conf && e.CPUPerFrame > 0 {
				c = append(c, float64(e.CPUPerFrame)/float64(time.Microsecond))
			}
		}
		if len(c) > 0 {
			fmt.Fprintf(w, "  CPU per 10 ms frame at 48 kHz (reverse + capture, thread CPU time), %-4s median %.0f µs, max %.0f µs over %d runs\n", conf, echolab.Median(c), slices.Max(c), len(c))
		}
	}
}

func minf(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	return slices.Min(v)
}

func values(m map[string]float64) []float64 {
	var v []float64
	for _, x := range m {
		v = append(v, x)
	}
	return v
}
