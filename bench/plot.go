package bench

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// PlotCodec writes two PNG charts of a codec sweep into dir and returns their paths:
// mos-vs-loss-{random,bursty}.png (PESQ-WB against loss rate, one line per 32 kb/s
// configuration), the same with a -neural suffix for the Deep PLC / OSCE / DRED configs (against
// 32 kb/s PLC and FEC), and mos-vs-bitrate.png (PESQ-WB against bitrate for the PLC-only and
// FEC ladders at 0, 10 and 20 % random loss).
func PlotCodec(dir string, rows []CodecRow) ([]string, error) {
	var paths []string
	// The classic plots hold today's configs at 32 kb/s; the neural plots set libopus 1.5's
	// configs (any bitrate up to 48 kb/s) against 32 kb/s PLC and FEC.
	classic := func(r CodecRow) bool { return r.BitrateBps == 32000 && !isNeural(r) }
	neural := func(r CodecRow) bool {
		return isNeural(r) && r.BitrateBps <= 48000 || r.Config == "32k-plc" || r.Config == "32k-fec"
	}
	for _, set := range []struct {
		suffix, what string
		keep         func(CodecRow) bool
	}{{"", "Opus 32 kb/s", classic}, {"-neural", "Deep PLC, OSCE, DRED (libopus 1.5)", neural}} {
		if set.suffix != "" && !slices.ContainsFunc(rows, isNeural) {
			continue // no neural rows: the baselines alone would repeat the classic plot
		}
		ps, err := plotLoss(dir, rows, set.suffix, set.what, set.keep)
		paths = append(paths, ps...)
		if err != nil {
			return paths, err
		}
	}

	p := plot.New()
	p.Title.Text = "PESQ-WB vs bitrate (20 ms frames)"
	p.X.Label.Text = "Opus bitrate (kb/s)"
	p.Y.Label.Text = "PESQ-WB MOS-LQO"
	p.Y.Min, p.Y.Max = 1, 4.7
	var lines []any
	for _, loss := range []float64{0, 0.10, 0.20} {
		for _, fec := range []bool{false, true} {
			var pts plotter.XYs
			for _, r := range rows {
				if r.FEC == fec && r.REDDepth == 0 && r.FrameMs == 20 && !r.Bursty && !isTrace(r) && !isNeural(r) && abs(r.LossRate-loss) < 1e-9 {
					pts = append(pts, plotter.XY{X: float64(r.BitrateBps) / 1000, Y: r.WB})
				}
			}
			if len(pts) < 2 {
				continue
			}
			sort.Slice(pts, func(i, j int) bool { return pts[i].X < pts[j].X })
			name := "PLC"
			if fec {
				name = "FEC"
			}
			lines = append(lines, fmt.Sprintf("%s, %d%% loss", name, int(loss*100+0.5)), pts)
		}
	}
	if len(lines) > 0 {
		if err := plotutil.AddLinePoints(p, lines...); err != nil {
			return paths, fmt.Errorf("bench: plot: %w", err)
		}
		p.Legend.Top = false
		p.Legend.Left = false
		path := filepath.Join(dir, "mos-vs-bitrate.png")
		if err := p.Save(7*vg.Inch, 5*vg.Inch, path); err != nil {
			return paths, fmt.Errorf("bench: plot: %w", err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// plotLoss draws PESQ-WB against random and bursty loss for the configs keep admits, into
// mos-vs-loss-{random,bursty}<suffix>.png.
func plotLoss(dir string, rows []CodecRow, suffix, what string, keep func(CodecRow) bool) ([]string, error) {
	var paths []string
	for _, bursty := range []bool{false, true} {
		p := plot.New()
		kind := "random"
		if bursty {
			kind = "bursty (mean burst 2.5)"
		}
		p.Title.Text = "PESQ-WB vs " + kind + " loss, " + what + " (bars: 95 % CI over loss seeds)"
		p.X.Label.Text = "packet loss (%)"
		p.Y.Label.Text = "PESQ-WB MOS-LQO"
		p.Y.Min, p.Y.Max = 1, 4.7
		var lines []any
		var bars []plot.Plotter
		for _, cfg := range configOrder(rows) {
			var pts errPoints
			for _, r := range rows {
				if r.Config == cfg && keep(r) && (r.Bursty == bursty || r.LossRate == 0) && !isTrace(r) {
					pts.XYs = append(pts.XYs, plotter.XY{X: 100 * r.LossRate, Y: r.WB})
					pts.errs = append(pts.errs, r.WBCI)
				}
			}
			if len(pts.XYs) < 2 {
				continue
			}
			sort.Sort(pts)
			lines = append(lines, cfg, pts.XYs)
			eb, err := plotter.NewYErrorBars(pts)
			if err != nil {
				return paths, fmt.Errorf("bench: plot: %w", err)
			}
			bars = append(bars, eb)
		}
		if len(lines) == 0 {
			continue
		}
		if err := plotutil.AddLinePoints(p, lines...); err != nil {
			return paths, fmt.Errorf("bench: plot: %w", err)
		}
		p.Add(bars...)
		p.Legend.Top = false
		name := "mos-vs-loss-random" + suffix + ".png"
		if bursty {
			name = "mos-vs-loss-bursty" + suffix + ".png"
		}
		path := filepath.Join(dir, name)
		if err := p.Save(7*vg.Inch, 5*vg.Inch, path); err != nil {
			return paths, fmt.Errorf("bench: plot: %w", err)
		}
		paths = append(paths, path)
	}

	return paths, nil
}

// isNeural reports a row that uses libopus 1.5's Deep PLC, OSCE or DRED.
func isNeural(r CodecRow) bool { return r.DecoderCompl > 0 || r.DREDMs > 0 }

func isTrace(r CodecRow) bool { return len(r.Condition) > 6 && r.Condition[:6] == "trace " }

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func configOrder(rows []CodecRow) []string {
	var order []string
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.Config] {
			seen[r.Config] = true
			order = append(order, r.Config)
		}
	}
	return order
}

// errPoints are points with symmetric Y error bars (95 % CI half-widths), sortable by X.
type errPoints struct {
	plotter.XYs
	errs []float64
}

func (e errPoints) YError(i int) (float64, float64) { return e.errs[i], e.errs[i] }
func (e errPoints) Less(i, j int) bool              { return e.XYs[i].X < e.XYs[j].X }
func (e errPoints) Swap(i, j int) {
	e.XYs[i], e.XYs[j] = e.XYs[j], e.XYs[i]
	e.errs[i], e.errs[j] = e.errs[j], e.errs[i]
}
