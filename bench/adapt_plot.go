package bench

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// PlotBench writes the benchmark's PNG charts into dir (created if missing) and returns their
// paths: delay-vs-concealment.png (each strategy one point: mean mouth-to-ear p50 against mean
// concealed share), mos-by-profile.png and pesq-by-profile.png (bars per profile grouped by
// strategy, means over seeds and clips), and, when rows hold a run on timelineProfile,
// timeline-<profile>.png (wire rate with the capacity, queueing delay, network loss and
// jitter-buffer target of each strategy over the first seed's run).
func PlotBench(dir string, rows []Row, timelineProfile string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bench: plot: %w", err)
	}
	var paths []string
	sums := Summarize(rows)

	// Delay against concealment.
	p := plot.New()
	p.Title.Text = "Mouth-to-ear delay vs concealment (means over all runs)"
	p.X.Label.Text = "mouth-to-ear delay p50 (ms)"
	p.Y.Label.Text = "concealed audio (%, late + lost)"
	var maxX, maxY float64
	for i, s := range sums {
		pts := plotter.XYs{{X: float64(s.M2EP50.Milliseconds()), Y: 100 * (s.ConcealLate + s.ConcealLost)}}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return paths, fmt.Errorf("bench: plot: %w", err)
		}
		sc.Color = strategyColor(i)
		sc.Shape = plotutil.Shape(i)
		sc.Radius = vg.Points(5)
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: []string{" " + s.Strategy}})
		if err != nil {
			return paths, fmt.Errorf("bench: plot: %w", err)
		}
		p.Add(sc, lb)
		maxX, maxY = max(maxX, pts[0].X), max(maxY, pts[0].Y)
	}
	p.Add(plotter.NewGrid())
	// Each point is labelled with its strategy; room on the right and top for the labels.
	p.X.Min, p.Y.Min = 0, 0
	p.X.Max, p.Y.Max = 1.3*maxX+10, 1.15*maxY+0.5
	path := filepath.Join(dir, "delay-vs-concealment.png")
	if err := p.Save(8*vg.Inch, 5*vg.Inch, path); err != nil {
		return paths, fmt.Errorf("bench: plot: %w", err)
	}
	paths = append(paths, path)

	// Bars per profile.
	var profiles []string
	for _, r := range rows {
		if !slices.Contains(profiles, r.Profile) {
			profiles = append(profiles, r.Profile)
		}
	}
	for _, metric := range []string{"mos", "pesq"} {
		p := plot.New()
		if metric == "mos" {
			p.Title.Text = "E-model MOS (2 s windows) by profile; hindsight* is an oracle"
			p.Y.Label.Text = "MOS_CQE"
		} else {
			p.Title.Text = "PESQ-WB by profile; hindsight* is an oracle"
			p.Y.Label.Text = "PESQ-WB MOS-LQO"
		}
		w := vg.Points(float64(min(60, 420/max(len(profiles), 1))) / float64(max(len(sums), 1)))
		for i, s := range sums {
			vals := make(plotter.Values, len(profiles))
			for j, pr := range profiles {
				var xs []float64
				for _, r := range rows {
					if r.Strategy == s.Strategy && r.Profile == pr {
						if metric == "mos" {
							xs = append(xs, r.MOS)
						} else {
							xs = append(xs, r.PESQ)
						}
					}
				}
				vals[j] = mean(xs)
				if math.IsNaN(vals[j]) {
					vals[j] = 1
				}
			}
			b, err := plotter.NewBarChart(vals, w)
			if err != nil {
				return paths, fmt.Errorf("bench: plot: %w", err)
			}
			b.Color = strategyColor(i)
			b.LineStyle.Width = 0
			b.Offset = w * vg.Length(float64(i)-float64(len(sums)-1)/2)
			p.Add(b)
			p.Legend.Add(s.Strategy, b)
		}
		p.NominalX(profiles...)
		// After the bars (which would start the axis at 0); headroom for the legend.
		p.Y.Min, p.Y.Max = 1, 5.8
		p.Legend.Top = true
		p.Legend.Left = false
		p.Legend.Padding = vg.Points(2)
		p.Add(plotter.NewGrid())
		path := filepath.Join(dir, metric+"-by-profile.png")
		if err := p.Save(vg.Length(max(8, 1.1*float64(len(profiles))))*vg.Inch, 5*vg.Inch, path); err != nil {
			return paths, fmt.Errorf("bench: plot: %w", err)
		}
		paths = append(paths, path)
	}

	// Timeline.
	if path, ok, err := plotTimeline(dir, rows, timelineProfile); err != nil {
		return paths, err
	} else if ok {
		paths = append(paths, path)
	}
	return paths, nil
}

// plotTimeline draws four stacked panels of every strategy's first run on profile.
func plotTimeline(dir string, rows []Row, profile string) (string, bool, error) {
	var runs []Row
	idx := map[string]int{}
	for i, st := range Summarize(rows) {
		idx[st.Strategy] = i
		for _, r := range rows {
			if r.Profile == profile && r.Strategy == st.Strategy && r.Timeline != nil {
				runs = append(runs, r)
				break
			}
		}
	}
	if len(runs) == 0 {
		return "", false, nil
	}
	const bin = 500 * time.Millisecond
	panels := []struct{ title, y string }{
		{"wire rate (kb/s, 500 ms bins; black: capacity)", "kb/s"},
		{"queueing delay (ms, per packet)", "ms"},
		{"network loss (%, 500 ms bins)", "%"},
		{"jitter-buffer target (ms)", "ms"},
	}
	plots := make([][]*plot.Plot, len(panels))
	for i, pn := range panels {
		p := plot.New()
		p.Title.Text = pn.title
		p.Y.Label.Text = pn.y
		if i == len(panels)-1 {
			p.X.Label.Text = "time (s) — " + profile
		}
		p.Add(plotter.NewGrid())
		plots[i] = []*plot.Plot{p}
	}
	var end time.Duration
	for _, r := range runs {
		tl := r.Timeline
		if n := len(tl.Sends); n > 0 {
			end = max(end, tl.Sends[n-1].At)
		}
		nb := int(end/bin) + 1
		bits := make([]float64, nb)
		sent := make([]int, nb)
		lost := make([]int, nb)
		var q plotter.XYs
		for _, s := range tl.Sends {
			b := min(int(s.At/bin), nb-1)
			bits[b] += float64(s.WireBytes * 8)
			sent[b]++
			if s.Arrival < 0 {
				lost[b]++
			} else {
				q = append(q, plotter.XY{X: s.At.Seconds(), Y: float64(s.Queue.Milliseconds())})
			}
		}
		var rate, loss plotter.XYs
		for b := range nb {
			x := (time.Duration(b) * bin).Seconds()
			rate = append(rate, plotter.XY{X: x, Y: bits[b] / bin.Seconds() / 1000})
			if sent[b] > 0 {
				loss = append(loss, plotter.XY{X: x, Y: 100 * float64(lost[b]) / float64(sent[b])})
			}
		}
		var tgt plotter.XYs
		for i, t := range tl.Ticks {
			if i%5 == 0 {
				tgt = append(tgt, plotter.XY{X: t.At.Seconds(), Y: float64(t.Target.Milliseconds())})
			}
		}
		for pi, xy := range []plotter.XYs{rate, q, loss, tgt} {
			if len(xy) == 0 {
				continue
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return "", false, fmt.Errorf("bench: plot: %w", err)
			}
			l.Color = strategyColor(idx[r.Strategy])
			l.Width = vg.Points(1.2)
			if r.Strategy == StrategyAdapt {
				l.Width = vg.Points(2.2)
			}
			plots[pi][0].Add(l)
			if pi == 0 {
				plots[pi][0].Legend.Add(r.Strategy, l)
			}
		}
	}
	if caps := runs[0].Timeline.Capacity; len(caps) > 0 {
		var xy plotter.XYs
		var t time.Duration
		for _, c := range caps {
			xy = append(xy, plotter.XY{X: t.Seconds(), Y: float64(c.RateBps) / 1000},
				plotter.XY{X: (t + c.Duration).Seconds(), Y: float64(c.RateBps) / 1000})
			t += c.Duration
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return "", false, fmt.Errorf("bench: plot: %w", err)
		}
		l.Color = color.Black
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		plots[0][0].Add(l)
	}
	plots[0][0].Legend.Top = true
	plots[0][0].Legend.Left = false
	plots[0][0].Y.Max = 140
	for _, row := range plots {
		row[0].X.Min, row[0].X.Max = 0, end.Seconds()
	}
	const w, h = 10 * vg.Inch, 12 * vg.Inch
	img := vgimg.New(w, h)
	dc := draw.New(img)
	t := draw.Tiles{Rows: len(panels), Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4),
		PadRight: vg.Points(8), PadY: vg.Points(8)}
	canvases := plot.Align(plots, t, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	path := filepath.Join(dir, "timeline-"+safeName(profile)+".png")
	f, err := os.Create(path)
	if err != nil {
		return "", false, fmt.Errorf("bench: plot: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return "", false, fmt.Errorf("bench: plot: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", false, fmt.Errorf("bench: plot: %w", err)
	}
	return path, true, nil
}

// safeName keeps letters, digits, '-', '_' and '.' of a profile name for a file name.
func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}

// strategyPalette tells seven strategies apart (plotutil's soft palette has two near-identical
// reds at 0 and 5).
var strategyPalette = []color.Color{
	color.RGBA{R: 228, G: 26, B: 28, A: 255},   // red
	color.RGBA{R: 77, G: 175, B: 74, A: 255},   // green
	color.RGBA{R: 55, G: 126, B: 184, A: 255},  // blue
	color.RGBA{R: 255, G: 127, B: 0, A: 255},   // orange
	color.RGBA{R: 152, G: 78, B: 163, A: 255},  // purple
	color.RGBA{R: 0, G: 150, B: 150, A: 255},   // teal
	color.RGBA{R: 166, G: 86, B: 40, A: 255},   // brown
	color.RGBA{R: 247, G: 129, B: 191, A: 255}, // pink
}

// strategyColor is the i-th strategy's colour, cycling.
func strategyColor(i int) color.Color { return strategyPalette[i%len(strategyPalette)] }
