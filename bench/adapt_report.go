package bench

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// fmtDur prints a duration in whole milliseconds.
func fmtDur(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

// fmtReact prints a react/recover time: "-" without a rate schedule, "never" for −1.
func fmtReact(has bool, d time.Duration) string {
	switch {
	case !has:
		return "-"
	case d < 0:
		return "never"
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// WriteAdaptRuns writes one line per run: the metrics of RunMetrics and, for the oracle, its
// setting.
func WriteAdaptRuns(w io.Writer, rows []Row) {
	fmt.Fprintf(w, "%-16s %-12s %4s %5s %5s %7s %7s %6s %6s %6s %6s %6s %7s %7s %6s %6s  %s\n", "link", "strategy", "seed", "PESQ", "MOS",
		"m2e50", "m2e95", "buf", "late", "lost", "int/m", "kb/s", "q95", "netloss", "react", "recov", "oracle setting")
	for _, r := range rows {
		setting := ""
		if r.Strategy == StrategyOracle {
			setting = r.Fixed.String()
		}
		fmt.Fprintf(w, "%-16s %-12s %4d %5.2f %5.2f %7s %7s %6s %5.1f%% %5.1f%% %6.1f %6.1f %7s %6.1f%% %6s %6s  %s\n",
			trunc(r.Profile, 16), r.Strategy, r.Seed, r.PESQ, r.MOS, fmtDur(r.M2EP50), fmtDur(r.M2EP95), fmtDur(r.BufferDelay), 100*r.ConcealLate,
			100*r.ConcealLost, r.InterruptionsPerMin, r.PayloadKbps, fmtDur(r.QueueP95), 100*r.NetworkLoss,
			fmtReact(r.HasSteps, r.React), fmtReact(r.HasSteps, r.Recover), setting)
	}
}

// trunc shortens s to n characters with an ellipsis.
func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// WriteAdaptSummary writes the per-strategy summary of rows (means and P10 across runs), the
// adapt strategy's comparisons with the best baseline, fixed32+fec and the oracle, and the
// adaptation issue's targets this run measured.
func WriteAdaptSummary(w io.Writer, rows []Row) {
	sums := Summarize(rows)
	fmt.Fprintf(w, "%-12s %5s %5s %5s %5s %6s %7s %7s %6s %6s %6s %6s %7s %6s %6s\n", "strategy", "PESQ", "P10", "MOS", "P10",
		"int/m", "m2e50", "m2e95", "buf", "late", "lost", "kb/s", "q95", "react", "recov")
	for _, s := range sums {
		fmt.Fprintf(w, "%-12s %5.2f %5.2f %5.2f %5.2f %6.2f %7s %7s %6s %5.2f%% %5.2f%% %6.1f %7s %6s %6s\n", s.Strategy, s.PESQMean,
			s.PESQP10, s.MOSMean, s.MOSP10, s.InterruptionsPerMin, fmtDur(s.M2EP50), fmtDur(s.M2EP95), fmtDur(s.BufferDelay), 100*s.ConcealLate,
			100*s.ConcealLost, s.PayloadKbps, fmtDur(s.QueueP95), fmtReact(s.HasSteps, s.React), fmtReact(s.HasSteps, s.Recover))
	}
	fmt.Fprintln(w, "(means across runs; P10 = 10th percentile across runs; m2e and q95 = means of each run's percentiles;")
	fmt.Fprintln(w, " react/recov = worst over the runs on rate-step links; hindsight* is an oracle, not a strategy)")
	has := func(st string) bool {
		return slices.ContainsFunc(sums, func(s StrategySummary) bool { return s.Strategy == st })
	}
	if has(StrategyAdaptTrack) && has(StrategyAdaptNetEq) {
		fmt.Fprintln(w)
		writeReceiverAB(w, rows, StrategyAdaptTrack, StrategyAdaptNetEq)
	}
	for _, A := range []string{StrategyAdapt, StrategyAdaptNetEq, StrategyAdaptFloor} {
		if !has(A) {
			continue
		}
		fmt.Fprintln(w)
		for _, against := range []string{"best baseline", StrategyFixedFEC, StrategyOracle} {
			if against != "best baseline" && !has(against) {
				continue
			}
			v := CompareRuns(rows, A, against)
			if v.Runs == 0 {
				continue
			}
			intr := "n/a (no interruptions in the reference)"
			if !math.IsNaN(v.Interruptions) {
				intr = fmt.Sprintf("%+.0f%%", 100*v.Interruptions)
			}
			fmt.Fprintf(w, "%s vs %s (per run): PESQ mean %+.2f, P10 %+.2f; MOS mean %+.2f, P10 %+.2f; interruptions %s; higher PESQ on %d of %d runs\n",
				A, against, v.PESQ, v.PESQP10, v.MOS, v.MOSP10, intr, v.Wins, v.Runs)
			if len(v.ByRepeat) > 0 {
				parts := make([]string, len(v.ByRepeat))
				for i, d := range v.ByRepeat {
					parts[i] = fmt.Sprintf("%s %+.2f", ordinal(i+1), d)
				}
				fmt.Fprintf(w, "  PESQ-WB by repetition of the clip (the 1st is the call's start): %s\n", strings.Join(parts, ", "))
			}
			if against == "best baseline" && len(v.Losses) > 0 {
				fmt.Fprintf(w, "  %s below the best baseline on: %s\n", A, strings.Join(v.Losses, "; "))
			}
		}
		writeAdaptTargets(w, rows, A)
	}
}

// meanOf averages f over the rows of strategy st on links accepted by link; ok is false when
// there are none.
func meanOf(rows []Row, st string, link func(string) bool, f func(Row) float64) (float64, bool) {
	var sum float64
	n := 0
	for _, r := range rows {
		if r.Strategy == st && link(r.Profile) {
			sum += f(r)
			n++
		}
	}
	if n == 0 {
		return math.NaN(), false
	}
	return sum / float64(n), true
}

func metMissed(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// writeReceiverAB compares two receivers behind the same sender (strategies A and B) on the
// same runs: mean buffer delay, concealment (late + lost) and PESQ-WB on cellular links (the
// issue 13 target: at least 30 % less buffer delay at equal or lower concealment) and on the
// other links.
func writeReceiverAB(w io.Writer, rows []Row, A, B string) {
	buf := func(r Row) float64 { return float64(r.BufferDelay) / float64(time.Millisecond) }
	conc := func(r Row) float64 { return 100 * (r.ConcealLate + r.ConcealLost) }
	pesq := func(r Row) float64 { return r.PESQ }
	fmt.Fprintf(w, "receiver A/B, same sender and runs: %s vs %s\n", A, B)
	for _, g := range []struct {
		name string
		in   func(string) bool
	}{{"cellular links", isCellular}, {"other links", func(p string) bool { return !isCellular(p) }}} {
		ba, ok := meanOf(rows, A, g.in, buf)
		bb, ok2 := meanOf(rows, B, g.in, buf)
		if !ok || !ok2 || bb <= 0 {
			continue
		}
		ca, _ := meanOf(rows, A, g.in, conc)
		cb, _ := meanOf(rows, B, g.in, conc)
		pa, _ := meanOf(rows, A, g.in, pesq)
		pb, _ := meanOf(rows, B, g.in, pesq)
		fmt.Fprintf(w, "  %s: buffer delay %.0f vs %.0f ms (%+.0f%%), concealment %.2f%% vs %.2f%%, PESQ-WB %.2f vs %.2f",
			g.name, ba, bb, 100*(ba/bb-1), ca, cb, pa, pb)
		if g.name == "cellular links" {
			fmt.Fprintf(w, " (target <= -30%% at <= concealment): %s", metMissed(ba <= 0.7*bb && ca <= cb))
		}
		fmt.Fprintln(w)
	}
}

// isCellular says whether link p is a cellular one: the cellular profiles and the capacity
// traces (Mahimahi, OpenNetLab, Norway HSDPA).
func isCellular(p string) bool {
	return slices.Contains([]string{"3g", "lte", "lte-bursty", "cellular", "edge"}, p) ||
		strings.HasPrefix(p, "mm:") || strings.HasPrefix(p, "onl:") || strings.HasPrefix(p, "no:")
}

// writeAdaptTargets checks the adaptation issues' (7 and 13) targets that this run measured,
// for strategy A.
func writeAdaptTargets(w io.Writer, rows []Row, A string) {
	is := func(names ...string) func(string) bool {
		return func(p string) bool { return slices.Contains(names, p) }
	}
	cellular := isCellular
	pesq := func(r Row) float64 { return r.PESQ }
	kbps := func(r Row) float64 { return r.PayloadKbps }
	mos := func(r Row) float64 { return r.MOS }
	buf := func(r Row) float64 { return float64(r.BufferDelay.Milliseconds()) }
	conc := func(r Row) float64 { return 100 * (r.ConcealLate + r.ConcealLost) }
	trace := func(p string) bool {
		return strings.HasPrefix(p, "mm:") || strings.HasPrefix(p, "onl:") || strings.HasPrefix(p, "no:")
	}
	m2e := func(r Row) float64 { return float64(r.M2EP50.Milliseconds()) }
	fmt.Fprintf(w, "issue 7/13 targets, %s (only those this run measures):\n", A)
	if v := CompareRuns(rows, A, "best baseline"); v.Runs > 0 {
		ok := v.PESQ > 0 && v.PESQP10 >= 0 && v.MOS >= 0.1 && (math.IsNaN(v.Interruptions) || v.Interruptions <= 0)
		fmt.Fprintf(w, "  vs best baseline per run: PESQ mean %+.2f (> 0), P10 %+.2f (>= 0); MOS mean %+.2f (>= +0.10); interruptions %+.0f%% (<= 0): %s\n",
			v.PESQ, v.PESQP10, v.MOS, 100*v.Interruptions, metMissed(ok))
	}
	if a, ok := meanOf(rows, A, trace, m2e); ok {
		if b, ok := meanOf(rows, StrategyWebRTC, trace, m2e); ok {
			fmt.Fprintf(w, "  trace links: mouth-to-ear p50 %.0f ms vs webrtc-like %.0f ms (target <=): %s\n", a, b, metMissed(a <= b))
		}
	}
	if p, ok := meanOf(rows, A, is("bursty20"), pesq); ok {
		k, _ := meanOf(rows, A, is("bursty20"), kbps)
		f, _ := meanOf(rows, StrategyFixedFEC, is("bursty20"), pesq)
		fmt.Fprintf(w, "  20 %% bursty loss: PESQ-WB %.2f at %.1f kb/s payload (target >= 3.3 at <= 48 kb/s; fixed32+fec %.2f): %s\n",
			p, k, f, metMissed(p >= 3.3 && k <= 48))
	}
	if v := CompareRuns(rows, A, StrategyFixedFEC); v.Runs > 0 {
		ok := v.PESQ >= 0.15 && v.PESQP10 >= 0.3 && (math.IsNaN(v.Interruptions) || v.Interruptions <= -0.4)
		fmt.Fprintf(w, "  vs fixed32+fec: PESQ mean %+.2f (>= +0.15), P10 %+.2f (>= +0.30); MOS mean %+.2f, P10 %+.2f; interruptions %+.0f%% (<= -40%%): %s\n",
			v.PESQ, v.PESQP10, v.MOS, v.MOSP10, 100*v.Interruptions, metMissed(ok))
	}
	if b, ok := meanOf(rows, A, cellular, buf); ok {
		nb, ok2 := meanOf(rows, StrategyWebRTC, cellular, buf)
		c, _ := meanOf(rows, A, cellular, conc)
		nc, _ := meanOf(rows, StrategyWebRTC, cellular, conc)
		if ok2 {
			fmt.Fprintf(w, "  cellular links: buffer delay %.0f ms vs NetEq-like %.0f ms (target <= %.0f ms) at concealment %.2f%% vs %.2f%%: %s\n",
				b, nb, 0.7*nb, c, nc, metMissed(b <= 0.7*nb && c <= nc))
		}
	}
	for _, r := range rows {
		if r.Strategy == A && r.HasSteps && r.Seed == 1 {
			fmt.Fprintf(w, "  %s: react %s (target <= 0.5 s), recover %s (target <= 2 s): %s; rate under the new capacity after %s, back to 90 %% of its own rate before the drops after %s\n", r.Profile,
				fmtReact(true, r.React), fmtReact(true, r.Recover),
				metMissed(r.React >= 0 && r.React <= 500*time.Millisecond && r.Recover >= 0 && r.Recover <= 2*time.Second),
				fmtReact(true, r.Cut), fmtReact(true, r.Back))
		}
	}
	if m, ok := meanOf(rows, A, is("clean"), mos); ok {
		best := math.Inf(-1)
		for _, st := range StrategyNames() {
			if st != A && st != StrategyWebRTC && st != StrategyTGVoIP {
				if x, ok := meanOf(rows, st, is("clean"), mos); ok {
					best = max(best, x)
				}
			}
		}
		b, _ := meanOf(rows, A, is("clean"), buf)
		fmt.Fprintf(w, "  clean: E-model MOS %.2f vs best fixed setting %.2f (target within 0.02), buffer delay %.0f ms (target <= 40 ms): %s\n",
			m, best, b, metMissed(m >= best-0.02 && b <= 40))
	}
}

// joinReps formats per-repetition scores as "4.071;4.266;3.830".
func joinReps(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatFloat(x, 'f', 3, 64)
	}
	return strings.Join(parts, ";")
}

// WriteAdaptCSV writes one CSV line per run, after a header; pesq_wb_reps is the PESQ-WB of each
// repetition of the clip, ";"-separated, in the order sent.
func WriteAdaptCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"link", "clip", "seed", "strategy", "oracle_setting", "pesq_wb", "emodel_mos", "m2e_p50_ms", "m2e_p95_ms",
		"buffer_delay_ms", "conceal_late", "conceal_lost", "interruptions_per_min", "payload_kbps", "queue_p95_ms", "network_loss", "react_ms",
		"recover_ms", "changes", "pesq_wb_reps"})
	ff := func(x float64, p int) string { return strconv.FormatFloat(x, 'f', p, 64) }
	ms := func(d time.Duration) string { return ff(float64(d)/float64(time.Millisecond), 1) }
	for _, r := range rows {
		setting, react, recov := "", "", ""
		if r.Strategy == StrategyOracle {
			setting = r.Fixed.String()
		}
		if r.HasSteps {
			react, recov = ms(r.React), ms(r.Recover)
		}
		_ = cw.Write([]string{r.Profile, r.Clip, strconv.FormatUint(r.Seed, 10), r.Strategy, setting, ff(r.PESQ, 3), ff(r.MOS, 3),
			ms(r.M2EP50), ms(r.M2EP95), ms(r.BufferDelay), ff(r.ConcealLate, 4), ff(r.ConcealLost, 4), ff(r.InterruptionsPerMin, 2),
			ff(r.PayloadKbps, 2), ms(r.QueueP95), ff(r.NetworkLoss, 4), react, recov, strconv.Itoa(r.Changes), joinReps(r.PESQReps)})
	}
	cw.Flush()
	return cw.Error()
}

// ordinal spells 1, 2, 3, 4 as "1st", "2nd", "3rd", "4th".
func ordinal(n int) string {
	switch {
	case n%100 >= 11 && n%100 <= 13:
		return fmt.Sprintf("%dth", n)
	case n%10 == 1:
		return fmt.Sprintf("%dst", n)
	case n%10 == 2:
		return fmt.Sprintf("%dnd", n)
	case n%10 == 3:
		return fmt.Sprintf("%drd", n)
	}
	return fmt.Sprintf("%dth", n)
}
