package echo

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/parley-voice/parley/internal/echolab"
)

var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 255},
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 255},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 255},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 255},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 255},
	color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 255},
}

// Plot writes a PNG of ERLE over time on the wideband far talker, 60 ms path, SER 0 dB: the
// echo canceller alone, the call's chain, and the robustness runs of the echo canceller
// (delay +10 % at 9 s, drift +100 ppm), with the double-talk and near-only segments shaded
// (ERLE is measured in far-only windows only).
func (r *Report) Plot(path string) error {
	p := plot.New()
	p.Title.Text = "ERLE over time (far wb, path 60ms-rt200, SER 0 dB; 100 ms windows, far-only)"
	p.X.Label.Text = "time (s)"
	p.Y.Label.Text = "ERLE (dB)"
	p.Y.Min, p.Y.Max = -5, 70
	p.X.Min, p.X.Max = 0, echolab.Schedule[len(echolab.Schedule)-1].End.Seconds()
	for _, seg := range echolab.Schedule {
		if seg.Kind == echolab.FarOnly {
			continue
		}
		a, b := seg.Start.Seconds(), seg.End.Seconds()
		poly, err := plotter.NewPolygon(plotter.XYs{{X: a, Y: p.Y.Min}, {X: b, Y: p.Y.Min}, {X: b, Y: p.Y.Max}, {X: a, Y: p.Y.Max}})
		if err != nil {
			return fmt.Errorf("echo: plot: %w", err)
		}
		poly.LineStyle.Width = 0
		poly.Color = color.RGBA{R: 0xdd, G: 0xdd, B: 0xdd, A: 255}
		if seg.Kind == echolab.NearOnly {
			poly.Color = color.RGBA{R: 0xee, G: 0xee, B: 0xf8, A: 255}
		}
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: a + 0.1, Y: p.Y.Max - 4}}, Labels: []string{seg.Kind.String()}})
		if err != nil {
			return fmt.Errorf("echo: plot: %w", err)
		}
		p.Add(poly, lb)
	}
	p.Add(plotter.NewGrid())
	chg, err := plotter.NewLine(plotter.XYs{{X: echolab.ChangeAt.Seconds(), Y: p.Y.Min}, {X: echolab.ChangeAt.Seconds(), Y: p.Y.Max}})
	if err != nil {
		return fmt.Errorf("echo: plot: %w", err)
	}
	chg.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	chg.Color = color.Gray{Y: 0x80}
	p.Add(chg)
	p.Legend.Add("delay change (+10% run)", chg)
	target, err := plotter.NewLine(plotter.XYs{{X: 2, Y: 25}, {X: p.X.Max, Y: 25}})
	if err != nil {
		return fmt.Errorf("echo: plot: %w", err)
	}
	target.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
	target.Color = color.Black
	p.Add(target)
	p.Legend.Add("target 25 dB", target)

	i := 0
	for _, e := range r.Echo {
		if e.Far != "wb" || e.Path != echolab.Paths[1].Name || e.SERdB != 0 || e.Track == nil {
			continue
		}
		name := e.Config
		switch {
		case e.Condition == "" && (e.Config == "aec" || e.Config == "call"):
		case e.Config == "aec" && (e.Condition == "delay +10%" || e.Condition == "drift +100ppm"):
			name = "aec, " + e.Condition
		default:
			continue
		}
		col := palette[i%len(palette)]
		i++
		first := true
		for _, run := range validRuns(e.Track) {
			l, err := plotter.NewLine(run)
			if err != nil {
				return fmt.Errorf("echo: plot: %w", err)
			}
			l.Color = col
			l.Width = vg.Points(1.2)
			if name == "aec" {
				l.Width = vg.Points(3) // under the robustness runs, which follow it until they diverge
			}
			p.Add(l)
			if first {
				p.Legend.Add(fmt.Sprintf("%s (median %.1f dB)", name, e.ERLEdB), l)
				first = false
			}
		}
	}
	p.Legend.Top = false
	p.Legend.Left = true
	p.Legend.YOffs = vg.Points(10)
	p.Legend.XOffs = vg.Points(10)
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	if err := p.Save(10*vg.Inch, 5*vg.Inch, path); err != nil {
		return fmt.Errorf("echo: plot: %w", err)
	}
	return nil
}

// validRuns splits a track into runs of consecutive valid windows (plotted at their centres).
func validRuns(track []echolab.ERLEPoint) []plotter.XYs {
	var runs []plotter.XYs
	var cur plotter.XYs
	for _, p := range track {
		if !p.Valid || math.IsInf(p.DB, 0) || math.IsNaN(p.DB) {
			if len(cur) > 0 {
				runs = append(runs, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, plotter.XY{X: (p.At + echolab.ERLEWindow/2).Seconds(), Y: p.DB})
	}
	if len(cur) > 0 {
		runs = append(runs, cur)
	}
	return runs
}
