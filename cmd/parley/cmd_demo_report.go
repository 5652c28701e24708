package main

import (
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/parley-voice/parley/bench"
	"github.com/parley-voice/parley/codec"
)

// maxPESQ bounds the audio scored (PESQ's cost grows with length).
const maxPESQ = 30 * bench.SampleRateHz

// report scores bob's recording and writes the files.
func (d *liveDemo) report() error {
	out := d.env.Stdout
	sent, sentAt := d.speech.audio()
	got, gotAt := d.rec.audio()
	if err := writeWAV(filepath.Join(d.out, "alice.wav"), sent); err != nil {
		return err
	}
	if err := writeWAV(filepath.Join(d.out, "bob.wav"), got); err != nil {
		return err
	}
	ref, deg, lag := alignForPESQ(sent, got)
	wb := 0.0
	if len(ref) >= bench.SampleRateHz {
		q, err := bench.Score(ref, deg)
		if err != nil {
			return fmt.Errorf("demo: PESQ: %w", err)
		}
		wb = q.WB
	}
	// sent[i] left alice's source at sentAt + i/fs; bob played it at gotAt + i/fs + lag.
	rows, err := d.liveRows(ref, deg, wb, gotAt.Sub(sentAt)+lag)
	if err != nil {
		return err
	}
	sim, err := d.replayRows(sent)
	if err != nil {
		return err
	}
	rows = append(rows, sim...)
	summary := struct {
		SAS        string       `json:"sas"`
		Link       string       `json:"link"`
		Seed       uint64       `json:"seed"`
		CutAt      float64      `json:"cut_at_s"`
		SwitchAt   float64      `json:"switch_at_s"`
		PESQWB     float64      `json:"pesq_wb"`
		ScoredSecs float64      `json:"pesq_scored_s"`
		Comparison []demoRow    `json:"comparison"`
		Samples    []demoSample `json:"samples"`
	}{d.sas, d.link, d.seed, d.cutAt, d.switchAt, wb, secs(len(ref)), rows, d.samples}
	b, err := json.MarshalIndent(summary, "", "  ")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := os.WriteFile(filepath.Join(d.out, "stats.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := d.plot(filepath.Join(d.out, "call-report.png")); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nPESQ-WB of bob's recording against alice's speech: %.2f (%.1f s scored)\n", wb, summary.ScoredSecs)
	if d.switchAt >= 0 {
		fmt.Fprintf(out, "path switch to relay at %.1f s (direct path cut at %.1f s)\n", d.switchAt, d.cutAt)
	} else {
		fmt.Fprintln(out, "no path switch observed")
	}
	d.printComparison(rows)
	fmt.Fprintf(out, "\nwrote %s: alice.wav bob.wav stats.json call-report.png\n", d.out)
	return nil
}

func writeWAV(path string, x []float32) error {
	if err := codec.WriteWAVFile(path, codec.Audio{SampleRateHz: bench.SampleRateHz, Samples: x}, codec.WAVPCM16); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

// alignForPESQ finds bob's delay against alice's speech (cross-correlating 1 ms energy
// envelopes over up to 2 s of lag) and returns equal-length, aligned reference and recording,
// and the delay found (1 ms resolution).
func alignForPESQ(sent, got []float32) (ref, deg []float32, lag time.Duration) {
	const hop = bench.SampleRateHz / 1000
	env := func(x []float32) []float64 {
		e := make([]float64, len(x)/hop)
		for i := range e {
			var s float64
			for _, v := range x[i*hop : (i+1)*hop] {
				s += float64(v) * float64(v)
			}
			e[i] = s
		}
		return e
	}
	es, eg := env(sent), env(got)
	win := min(len(es), len(eg), 6000)
	best, bestLag := -1.0, 0
	for lag := -2000; lag <= 2000; lag++ {
		var c float64
		for i := 0; i < win; i++ {
			j := i + lag
			if j < 0 || j >= len(eg) {
				continue
			}
			c += es[i] * eg[j]
		}
		if c > best {
			best, bestLag = c, lag
		}
	}
	off := bestLag * hop
	if off >= 0 {
		got = got[min(off, len(got)):]
	} else {
		sent = sent[min(-off, len(sent)):]
	}
	n := min(len(sent), len(got), maxPESQ)
	return sent[:n], got[:n], time.Duration(bestLag) * time.Millisecond
}

// plot draws the call timeline: send bitrate, loss, jitter-buffer delay and target, MOS, one
// panel each, with the cut and the path switch marked.
func (d *liveDemo) plot(path string) error {
	type series struct {
		name string
		y    func(demoSample) float64
		c    color.Color
	}
	panels := []struct {
		title, unit string
		lines       []series
	}{
		{"Send bitrate (alice)", "kb/s", []series{{"payload", func(s demoSample) float64 { return s.SendKbps }, color.RGBA{B: 200, A: 255}}}},
		{"Packet loss and concealment (bob)", "%", []series{
			{"lost", func(s demoSample) float64 { return s.LossPct }, color.RGBA{R: 200, A: 255}},
			{"concealed", func(s demoSample) float64 { return s.Concealed }, color.RGBA{R: 200, G: 120, A: 255}}}},
		{"Jitter buffer (bob)", "ms", []series{
			{"delay", func(s demoSample) float64 { return s.JitterMs }, color.RGBA{G: 140, A: 255}},
			{"target", func(s demoSample) float64 { return s.TargetMs }, color.RGBA{G: 140, B: 140, A: 255}}}},
		{"MOS estimate (E-model)", "MOS", []series{{"MOS", func(s demoSample) float64 { return s.MOS }, color.Black}}},
	}
	rows := make([][]*plot.Plot, len(panels))
	for i, pn := range panels {
		p := plot.New()
		p.Title.Text = pn.title
		p.Y.Label.Text = pn.unit
		p.Legend.Top = true
		if i == len(panels)-1 {
			p.X.Label.Text = "seconds into the call"
		}
		ymax := 1.0
		for _, sr := range pn.lines {
			xy := make(plotter.XYs, len(d.samples))
			for k, s := range d.samples {
				xy[k].X, xy[k].Y = s.T, sr.y(s)
				ymax = max(ymax, xy[k].Y)
			}
			if len(xy) == 0 {
				continue
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return fmt.Errorf("demo: plot: %w", err)
			}
			l.Color = sr.c
			l.Width = vg.Points(1.5)
			p.Add(l)
			p.Legend.Add(sr.name, l)
		}
		p.Y.Min, p.Y.Max = 0, ymax*1.15
		for _, m := range []struct {
			at   float64
			name string
			c    color.Color
		}{{d.cutAt, "direct path cut", color.RGBA{R: 220, A: 255}}, {d.switchAt, "on relay", color.RGBA{R: 120, B: 220, A: 255}}} {
			if m.at < 0 {
				continue
			}
			l, err := plotter.NewLine(plotter.XYs{{X: m.at, Y: 0}, {X: m.at, Y: ymax * 1.1}})
			if err != nil {
				return fmt.Errorf("demo: plot: %w", err)
			}
			l.Color = m.c
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			p.Add(l)
			p.Legend.Add(m.name, l)
		}
		rows[i] = []*plot.Plot{p}
	}
	img := vgimg.New(vg.Points(720), vg.Points(860))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(rows), Cols: 1, PadX: vg.Millimeter * 2, PadY: vg.Millimeter * 3,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	canvases := plot.Align(rows, tiles, dc)
	for i := range rows {
		rows[i][0].Draw(canvases[i][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("demo: writing %s: %w", path, err)
	}
	return f.Close()
}
