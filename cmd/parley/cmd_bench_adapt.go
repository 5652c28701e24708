package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parley-voice/parley/bench"
)

func cmdBenchAdapt(_ context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "bench adapt", "", `Compare the adaptation policy with fixed settings on the same traces.

For every profile, clip and seed, runs the same link (same configuration and seed) under fixed
32 kb/s 20 ms Opus without and with in-band FEC (80 ms fixed buffer) and under adapt's controller
(settings every 500 ms from receiver feedback 100 ms old, jitter target from the policy), with
real libopus and PESQ-WB on the decoded audio (each repetition of the clip scored alone).

Columns: PESQ-WB mean over the repetitions; RTP payload rate including RED; packets the link
dropped; frames concealed by PLC; playout delay at the start (network + buffer); the adaptive
sender's mean jitter target and bitrate and how many decisions changed the settings; on "steps",
the longest time from a capacity drop to a decision whose wire rate fits the new capacity.`)
	profiles := fs.String("profiles", strings.Join(bench.AdaptProfileNames(), ","), "comma-separated profiles")
	seeds := fs.Int("seeds", 1, "link seeds per profile")
	repeat := fs.Int("repeat", 3, "repetitions of each clip per run (the controller needs seconds to learn)")
	clipsN := fs.Int("clips", 1, "clips to use (1 or 2)")
	csvPath := fs.String("csv", "", "also write every row to this CSV file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *seeds < 1 || *repeat < 1 {
		return usagef("--seeds and --repeat must be at least 1 (got %d, %d)", *seeds, *repeat)
	}
	for _, p := range strings.Split(*profiles, ",") {
		if _, err := bench.AdaptProfile(strings.TrimSpace(p), time.Second); err != nil {
			return usagef("--profiles: %v", err)
		}
	}
	clips, err := bench.DefaultClips()
	if err != nil {
		return err
	}
	clips = clips[:min(max(*clipsN, 1), len(clips))]
	var csvRows []bench.AdaptRow
	start := time.Now()
	type agg struct{ pesq, kbps, conc []float64 }
	total := map[string]*agg{}
	w := env.Stdout
	fmt.Fprintf(w, "%-11s %-12s %6s %8s %7s %7s %7s %8s %8s %7s %7s\n", "profile", "strategy", "PESQ", "payload", "netloss",
		"PLC", "delay", "target", "bitrate", "changes", "react")
	for _, p := range strings.Split(*profiles, ",") {
		for _, c := range clips {
			for s := range *seeds {
				rows, err := bench.CompareAdapt(strings.TrimSpace(p), c, *repeat, uint64(s+1))
				if err != nil {
					return err
				}
				csvRows = append(csvRows, rows...)
				for _, r := range rows {
					a := total[r.Strategy]
					if a == nil {
						a = &agg{}
						total[r.Strategy] = a
					}
					a.pesq = append(a.pesq, r.PESQ)
					a.kbps = append(a.kbps, r.PayloadKbps)
					a.conc = append(a.conc, r.Concealed)
					tgt, br, react := "-", "-", "-"
					if r.Strategy == bench.StrategyAdapt {
						tgt = fmt.Sprintf("%dms", r.MeanTarget.Milliseconds())
						br = fmt.Sprintf("%.1fk", r.MeanBitrate)
						switch {
						case r.React < 0:
							react = "never"
						case r.React > 0 || r.Profile == "steps":
							react = fmt.Sprintf("%dms", r.React.Milliseconds())
						}
					}
					fmt.Fprintf(w, "%-11s %-12s %6.2f %7.1fk %6.1f%% %6.1f%% %5dms %8s %8s %7d %7s\n", r.Profile, r.Strategy, r.PESQ,
						r.PayloadKbps, 100*r.NetworkLoss, 100*r.Concealed, r.Delay.Milliseconds(), tgt, br, r.Changes, react)
				}
			}
		}
	}
	fmt.Fprintf(w, "\nacross all runs (%v):\n%-12s %9s %9s %9s %9s\n", time.Since(start).Round(time.Second), "strategy",
		"PESQ mean", "PESQ P10", "kb/s mean", "PLC mean")
	for _, st := range bench.AdaptStrategies {
		a := total[st]
		if a == nil {
			continue
		}
		fmt.Fprintf(w, "%-12s %9.2f %9.2f %9.1f %8.1f%%\n", st, adaptMean(a.pesq), adaptP10(a.pesq), adaptMean(a.kbps), 100*adaptMean(a.conc))
	}
	if *csvPath != "" {
		if err := writeAdaptCSV(*csvPath, csvRows); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %s\n", *csvPath)
	}
	return nil
}

// writeAdaptCSV writes one line per strategy run.
func writeAdaptCSV(path string, rows []bench.AdaptRow) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(f)
	_ = cw.Write([]string{"profile", "clip", "seed", "strategy", "pesq_wb", "payload_kbps", "network_loss", "concealed",
		"start_delay_ms", "mean_target_ms", "mean_bitrate_kbps", "changes", "react_ms"})
	for _, r := range rows {
		_ = cw.Write([]string{r.Profile, r.Clip, strconv.FormatUint(r.Seed, 10), r.Strategy,
			strconv.FormatFloat(r.PESQ, 'f', 3, 64), strconv.FormatFloat(r.PayloadKbps, 'f', 2, 64),
			strconv.FormatFloat(r.NetworkLoss, 'f', 4, 64), strconv.FormatFloat(r.Concealed, 'f', 4, 64),
			strconv.FormatInt(r.Delay.Milliseconds(), 10), strconv.FormatInt(r.MeanTarget.Milliseconds(), 10),
			strconv.FormatFloat(r.MeanBitrate, 'f', 2, 64), strconv.Itoa(r.Changes), strconv.FormatInt(r.React.Milliseconds(), 10)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func adaptMean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// adaptP10 is the nearest-rank 10th percentile.
func adaptP10(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	k := int(math.Ceil(0.1*float64(len(s)))) - 1
	return s[max(k, 0)]
}
