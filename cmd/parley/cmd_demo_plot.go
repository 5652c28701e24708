package main

import (
	"fmt"
	"image/color"
	"os"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Colours of the timeline: one per quantity, and the path phases behind every panel.
var (
	colBitrate = color.RGBA{R: 30, G: 80, B: 200, A: 255}
	colTarget  = color.RGBA{R: 120, G: 150, B: 230, A: 255}
	colLoss    = color.RGBA{R: 200, G: 30, B: 30, A: 255}
	colConceal = color.RGBA{R: 230, G: 130, B: 0, A: 255}
	colJB      = color.RGBA{G: 130, B: 60, A: 255}
	colJBT     = color.RGBA{R: 90, G: 190, B: 150, A: 255}
	colJBA     = color.RGBA{R: 160, G: 120, B: 40, A: 255}
	colProt    = color.RGBA{R: 60, G: 60, B: 60, A: 255}
	colMOS     = color.RGBA{A: 255}
	colMOSCall = color.RGBA{R: 150, G: 150, B: 150, A: 255}
	colOutage  = color.RGBA{R: 255, G: 215, B: 215, A: 255}
	colRelay   = color.RGBA{R: 228, G: 222, B: 250, A: 255}
	colCut     = color.RGBA{R: 210, A: 255}
	colSwitch  = color.RGBA{R: 100, G: 40, B: 200, A: 255}
)

// timelineSeries is one line of a panel.
type timelineSeries struct {
	name     string
	y        func(demoSample) float64
	c        color.Color
	dashed   bool
	optional bool // drawn only when some second has a non-zero value
}

// timelinePanel is one strip of the report.
type timelinePanel struct {
	title, unit  string
	ymin, ymax   float64 // ymax 0: from the data
	legendBottom bool    // the legend goes in the bottom left corner (lines run high)
	protection   bool    // label the payload line with FEC/RED wherever it changes
	lines        []timelineSeries
}

// plot draws the call timeline: one strip per quantity on a shared time axis, the direct
// phase, the outage between the cut and the switch, and the relay phase shaded behind every
// strip, the cut and the switch marked with labelled vertical lines.
func (d *liveDemo) plot(path string, pesqWB float64) error {
	panels := []timelinePanel{
		{title: "Bitrate sent by alice (labels: FEC/RED in use)", unit: "kb/s", protection: true, lines: []timelineSeries{
			{name: "RTP payload (Opus + RED copies)", y: func(s demoSample) float64 { return s.SendKbps }, c: colBitrate},
			{name: "Opus bitrate in force", y: func(s demoSample) float64 { return s.TargetKbps }, c: colTarget, dashed: true}}},
		{title: "Loss at bob (per second)", unit: "%", ymax: 105, lines: []timelineSeries{
			{name: "packets lost in the network", y: func(s demoSample) float64 { return s.LossPct }, c: colLoss},
			{name: "audio concealed (after FEC/RED)", y: func(s demoSample) float64 { return s.Concealed }, c: colConceal}}},
		{title: "Jitter buffer at bob", unit: "ms", lines: []timelineSeries{
			{name: "actual delay", y: func(s demoSample) float64 { return s.JitterMs }, c: colJB},
			{name: "target", y: func(s demoSample) float64 { return s.TargetMs }, c: colJBT, dashed: true},
			{name: "adaptation's decided target (above base delay)", y: func(s demoSample) float64 { return s.JBDecidedMs }, c: colJBA, dashed: true, optional: true}}},
		{title: "Call quality: E-model MOS", unit: "MOS", ymin: 1, ymax: 4.7, legendBottom: true, lines: []timelineSeries{
			{name: "this second", y: func(s demoSample) float64 { return s.MOS }, c: colMOS},
			{name: "whole call so far (engine)", y: func(s demoSample) float64 { return s.MOSCall }, c: colMOSCall, dashed: true}}},
	}
	xmax := d.dur.Seconds()
	if n := len(d.samples); n > 0 {
		xmax = max(xmax, d.samples[n-1].T)
	}
	rows := make([][]*plot.Plot, len(panels))
	for i, pn := range panels {
		p, err := d.panel(pn, xmax, i == len(panels)-1)
		if err != nil {
			return fmt.Errorf("demo: plot: %w", err)
		}
		rows[i] = []*plot.Plot{p}
	}
	const width, height = 800, 940
	img := vgimg.New(vg.Points(width), vg.Points(height))
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	title := fmt.Sprintf("Parley live call, alice → bob: netem %q uplink (seed %d), %.0f s, PESQ-WB %.2f", d.link, d.seed, xmax, pesqWB)
	sub := d.phaseSummary()
	head := plot.New().Title.TextStyle
	head.Font.Size = vg.Points(14)
	head.XAlign = draw.XCenter
	dc.FillText(head, vg.Point{X: vg.Points(width / 2), Y: vg.Points(height - 20)}, title)
	head.Font.Size = vg.Points(11)
	dc.FillText(head, vg.Point{X: vg.Points(width / 2), Y: vg.Points(height - 38)}, sub)
	body := draw.Crop(dc, 0, 0, 0, -vg.Points(54))
	tiles := draw.Tiles{Rows: len(rows), Cols: 1, PadX: vg.Millimeter * 2, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 1, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	canvases := plot.Align(rows, tiles, body)
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

// phaseSummary is the report's second title line: what happened to the path, and when.
func (d *liveDemo) phaseSummary() string {
	switch {
	case d.relay:
		return "TURN relay forced from the start (-relay); shaded: on the relay"
	case d.cutAt < 0:
		return "direct path throughout (the call ended before the cut)"
	case d.switchAt < 0:
		return fmt.Sprintf("direct path cut at %.1f s; no switch to the relay observed", d.cutAt)
	}
	restarts := 0
	for _, ch := range d.changes {
		if ch.Restart {
			restarts++
		}
	}
	return fmt.Sprintf("white: direct path   red: outage (cut at %.1f s)   violet: on the TURN relay from %.1f s (%.1f s after the cut)   dotted: path switches, ICE restarts (%d)",
		d.cutAt, d.switchAt, d.switchAt-d.cutAt, restarts)
}

// panel draws one strip with its phase shading, its lines and the path markers.
func (d *liveDemo) panel(pn timelinePanel, xmax float64, bottom bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = pn.title
	p.Title.TextStyle.Font.Size = vg.Points(12)
	p.Y.Label.Text = pn.unit
	p.X.Min, p.X.Max = 0, xmax
	p.X.Tick.Marker = secondTicks{}
	if bottom {
		p.X.Label.Text = "seconds into the call"
	}
	p.Legend.Top = !pn.legendBottom
	p.Legend.Left = true
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Legend.ThumbnailWidth = vg.Points(24)
	lines := slices.DeleteFunc(slices.Clone(pn.lines), func(sr timelineSeries) bool {
		return sr.optional && !slices.ContainsFunc(d.samples, func(s demoSample) bool { return sr.y(s) != 0 })
	})
	ymax := 1.0
	for _, sr := range lines {
		for _, s := range d.samples {
			ymax = max(ymax, sr.y(s))
		}
	}
	ymin := pn.ymin
	if pn.ymax > 0 {
		ymax = pn.ymax
	} else {
		ymax *= 1.45 // room for the legend above the lines
		if pn.protection {
			ymax *= 1.3 // and for the FEC/RED labels
		}
	}
	p.Y.Min, p.Y.Max = ymin, ymax

	// Phases behind everything.
	shade := func(x0, x1 float64, c color.Color) error {
		if x1 <= x0 {
			return nil
		}
		pg, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: ymin}, {X: x1, Y: ymin}, {X: x1, Y: ymax}, {X: x0, Y: ymax}})
		if err != nil {
			return err
		}
		pg.Color = c
		pg.LineStyle.Width = 0
		p.Add(pg)
		return nil
	}
	relayFrom := d.switchAt
	if d.relay {
		relayFrom = 0
	}
	if d.cutAt >= 0 {
		end := xmax
		if d.switchAt >= 0 {
			end = d.switchAt
		}
		if err := shade(d.cutAt, end, colOutage); err != nil {
			return nil, err
		}
	}
	if relayFrom >= 0 {
		if err := shade(relayFrom, xmax, colRelay); err != nil {
			return nil, err
		}
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.RGBA{R: 220, G: 220, B: 220, A: 255}
	grid.Horizontal.Color = grid.Vertical.Color
	p.Add(grid)

	for _, sr := range lines {
		xy := make(plotter.XYs, 0, len(d.samples))
		for _, s := range d.samples {
			xy = append(xy, plotter.XY{X: s.T, Y: min(ymax, max(ymin, sr.y(s)))})
		}
		if len(xy) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, err
		}
		l.Color = sr.c
		l.Width = vg.Points(2)
		if sr.dashed {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			l.Width = vg.Points(1.5)
		}
		pts.Color = sr.c
		pts.Radius = vg.Points(2)
		p.Add(l, pts)
		p.Legend.Add(sr.name, l)
	}

	if pn.protection {
		if err := d.protectionLabels(p, pn.lines[0].y, ymax); err != nil {
			return nil, err
		}
	}

	// The cut and the switch: a vertical line each, labelled on every strip.
	for _, m := range []struct {
		at    float64
		name  string
		c     color.Color
		align draw.XAlignment // the cut's label left of its line, the switch's right of it
	}{{d.cutAt, "direct path cut ", colCut, draw.XRight}, {d.switchAt, " on relay", colSwitch, draw.XLeft}} {
		if m.at < 0 {
			continue
		}
		l, err := plotter.NewLine(plotter.XYs{{X: m.at, Y: ymin}, {X: m.at, Y: ymax}})
		if err != nil {
			return nil, err
		}
		l.Color = m.c
		l.Width = vg.Points(1.5)
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		lab, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: m.at, Y: ymax}}, Labels: []string{m.name}})
		if err != nil {
			return nil, err
		}
		lab.TextStyle[0].Color = m.c
		lab.TextStyle[0].Font.Size = vg.Points(9)
		lab.TextStyle[0].YAlign = draw.YTop
		lab.TextStyle[0].XAlign = m.align
		p.Add(l, lab)
	}
	// Every path switch (thin, the switch's colour) and ICE restart (thin, the cut's colour),
	// labelled at the bottom.
	labelled := map[bool]float64{false: -10, true: -10} // the last labelled time of each kind
	for _, ch := range d.changes {
		c, name := colSwitch, " switch"
		if ch.Restart {
			c, name = colCut, " restart"
		}
		if ch.T-labelled[ch.Restart] < 3 {
			name = "" // both sides switch together: one label
		} else {
			labelled[ch.Restart] = ch.T
		}
		l, err := plotter.NewLine(plotter.XYs{{X: ch.T, Y: ymin}, {X: ch.T, Y: ymax}})
		if err != nil {
			return nil, err
		}
		l.Color = c
		l.Width = vg.Points(0.75)
		l.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
		lab, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: ch.T, Y: ymin}}, Labels: []string{name}})
		if err != nil {
			return nil, err
		}
		lab.TextStyle[0].Color = c
		lab.TextStyle[0].Font.Size = vg.Points(7)
		lab.TextStyle[0].YAlign = draw.YBottom
		p.Add(l, lab)
	}
	return p, nil
}

// protectionLabels writes FEC/RED above the line y wherever it changes.
func (d *liveDemo) protectionLabels(p *plot.Plot, y func(demoSample) float64, ymax float64) error {
	var xy plotter.XYs
	var labels []string
	last := ""
	for _, s := range d.samples {
		pr := protection(s.FEC, s.RED, s.REDDepth, s.DREDMs > 0)
		if pr == last {
			continue
		}
		last = pr
		if pr == "-" {
			pr = "no FEC/RED"
		}
		lift := []float64{0.06, 0.15, 0.24}[len(xy)%3] // labels a second apart must not collide
		xy = append(xy, plotter.XY{X: s.T, Y: min(y(s)+lift*ymax, 0.8*ymax)})
		labels = append(labels, pr)
	}
	if len(xy) == 0 {
		return nil
	}
	lab, err := plotter.NewLabels(plotter.XYLabels{XYs: xy, Labels: labels})
	if err != nil {
		return err
	}
	for i := range lab.TextStyle {
		lab.TextStyle[i].Color = colProt
		lab.TextStyle[i].Font.Size = vg.Points(8)
		lab.TextStyle[i].XAlign = draw.XCenter
	}
	p.Add(lab)
	return nil
}

// secondTicks marks every second, labelling every second or every fifth one.
type secondTicks struct{}

func (secondTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 1
	if hi-lo > 30 {
		step = 5
	} else if hi-lo > 12 {
		step = 2
	}
	var t []plot.Tick
	for s := int(lo); float64(s) <= hi; s++ {
		tk := plot.Tick{Value: float64(s)}
		if s%step == 0 {
			tk.Label = fmt.Sprint(s)
		}
		t = append(t, tk)
	}
	return t
}
