package bench

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/parley-voice/parley/adapt/emodel"
	"github.com/parley-voice/parley/internal/netem"
)

// RefitVersion labels the table `parley bench refit` writes by default.
const RefitVersion = "parley-refit-v1"

// RefitGrid is the matrix of the impairment refit: every bitrate × frame × FEC × RED depth (and,
// with LowRateBps, RED with low-rate copies) under no loss and under random and bursty loss.
type RefitGrid struct {
	BitratesBps []int
	Frames      []time.Duration
	FEC         []bool
	REDDepths   []int // 0..3
	// LowRateBps, when > 0, adds every RED depth ≥ 1 with copies encoded at this rate (FEC off,
	// bitrates above it).
	LowRateBps int
	RandomLoss []float64 // Bernoulli loss fractions
	BurstyLoss []float64 // Gilbert–Elliott loss fractions with mean burst MeanBurst
	MeanBurst  float64   // mean loss-run length of the bursty conditions, packets (> 1)
	// DecoderComplexity is the receiver's decoder complexity (CodecConfig.DecoderComplexity):
	// 0 is classic PLC; the engine decodes at codec.Features().BestDecoderComplexity(), whose
	// Deep PLC and OSCE conceal and enhance differently, so a table for its calls is fit there.
	DecoderComplexity int
}

// DefaultRefitGrid is the matrix of issue 7 — 6–64 kb/s × 20/40/60 ms × FEC off/on × RED
// depth 0–2 — extended to RED depth 3 (the policy's deepest, and on 20 % bursty loss the best
// setting under 48 kb/s), plus RED 1–3 with 8 kb/s copies, under no loss, random loss of 5 and 15 % and bursty loss
// (mean burst 2.5 packets) of 5, 10 and 20 %.
func DefaultRefitGrid() RefitGrid {
	return RefitGrid{
		BitratesBps: []int{6000, 8000, 12000, 16000, 24000, 32000, 48000, 64000},
		Frames:      []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 60 * time.Millisecond},
		FEC:         []bool{false, true},
		REDDepths:   []int{0, 1, 2, 3},
		LowRateBps:  8000,
		RandomLoss:  []float64{0.05, 0.15},
		BurstyLoss:  []float64{0.05, 0.10, 0.20},
		MeanBurst:   2.5,
	}
}

// Configs lists the grid's sender configurations, named like "24k-40ms-fec-red2-low8k".
func (g RefitGrid) Configs() []CodecConfig {
	var cs []CodecConfig
	add := func(b int, fr time.Duration, fec bool, red, low int) {
		name := fmt.Sprintf("%dk-%dms", b/1000, fr.Milliseconds())
		if fec {
			name += "-fec"
		}
		if red > 0 {
			name += fmt.Sprintf("-red%d", red)
		}
		if low > 0 {
			name += fmt.Sprintf("-low%dk", low/1000)
		}
		cs = append(cs, CodecConfig{Name: name, BitrateBps: b, Frame: fr, FEC: fec, REDDepth: red, REDLowRateBps: low,
			DecoderComplexity: g.DecoderComplexity})
	}
	for _, fr := range g.Frames {
		for _, fec := range g.FEC {
			for _, red := range g.REDDepths {
				for _, b := range g.BitratesBps {
					add(b, fr, fec, red, 0)
				}
			}
		}
		if g.LowRateBps > 0 {
			for _, red := range g.REDDepths {
				for _, b := range g.BitratesBps {
					if red > 0 && b > g.LowRateBps {
						add(b, fr, false, red, g.LowRateBps)
					}
				}
			}
		}
	}
	return cs
}

// Conditions lists the grid's network conditions: no loss first, then random, then bursty loss,
// on a 20 ms one-way path with no capacity limit.
func (g RefitGrid) Conditions() []Condition {
	base := netem.DelayConfig{Base: sweepBaseDelay}
	conds := []Condition{{Name: "0%", SeedInvariant: true, Link: netem.LinkConfig{Delay: base}}}
	for _, p := range g.RandomLoss {
		conds = append(conds, Condition{Name: fmt.Sprintf("random %g%%", 100*p), LossRate: p,
			Link: netem.LinkConfig{Delay: base, Loss: netem.LossConfig{Model: netem.LossBernoulli, Rate: p}}})
	}
	for _, p := range g.BurstyLoss {
		conds = append(conds, Condition{Name: fmt.Sprintf("bursty %g%%", 100*p), LossRate: p, Bursty: true,
			Link: netem.LinkConfig{Delay: base, Loss: netem.LossConfig{Model: netem.LossGilbertElliott, Rate: p, MeanBurst: g.MeanBurst}}})
	}
	return conds
}

// Validate reports a grid that cannot be swept or fitted.
func (g RefitGrid) Validate() error {
	switch {
	case len(g.BitratesBps) == 0 || len(g.Frames) == 0 || len(g.FEC) == 0 || len(g.REDDepths) == 0:
		return fmt.Errorf("%w: refit grid needs bitrates, frames, FEC and RED depths", ErrConfig)
	case len(g.RandomLoss)+len(g.BurstyLoss) == 0:
		return fmt.Errorf("%w: refit grid needs at least one lossy condition", ErrConfig)
	case len(g.BurstyLoss) > 0 && !(g.MeanBurst > 1):
		return fmt.Errorf("%w: refit grid mean burst %v (want > 1)", ErrConfig, g.MeanBurst)
	}
	// The decoder (range, and whether this libopus has it) is checked as the sweep checks every
	// config, before any run.
	if err := (CodecConfig{BitrateBps: g.BitratesBps[0], Frame: g.Frames[0], DecoderComplexity: g.DecoderComplexity}).check(); err != nil {
		return fmt.Errorf("%w: refit grid: %w", ErrConfig, err)
	}
	for _, d := range g.REDDepths {
		if d < 0 || d > 3 {
			return fmt.Errorf("%w: RED depth %d (want 0..3)", ErrConfig, d)
		}
	}
	for _, p := range slices.Concat(g.RandomLoss, g.BurstyLoss) {
		if !(p > 0 && p < 1) {
			return fmt.Errorf("%w: loss %v (want a fraction in (0, 1))", ErrConfig, p)
		}
	}
	return nil
}

// Sweep is the codec sweep of the grid over clips with seeds loss seeds per lossy cell.
func (g RefitGrid) Sweep(clips []Clip, seeds int) CodecSweep {
	return CodecSweep{Configs: g.Configs(), Conditions: g.Conditions(), Clips: clips, Seeds: seeds}
}

// FitSettingTable fits one table entry per configuration of the sweep rows: Ie from the lossless
// row's PESQ-WB (Ie = 129 − R, with emodel.RFromPESQWB), BplRandom by least squares
// (emodel.FitBpl) over the random-loss rows at their measured network loss and BurstR 1, and
// BplBursty over the bursty rows at BurstR = meanBurst·(1 − loss), the burst ratio of the
// Gilbert–Elliott process (2 at 20 % loss with mean burst 2.5). With only one kind of lossy row
// both Bpl values come from it. Rows are matched to configurations by name.
//
// With pool set, the Bpl values are fit per curve — every bitrate of one frame size, FEC, RED
// depth and low rate together, each point normalised by its own setting's Ie (the E-model's
// loss term is (129 − Ie)·Ppl/(Ppl/BurstR + Bpl)) — and shared by the curve's settings: the
// recovery scheme and frame size set how loss is concealed far more than the bitrate does, and
// a PESQ score under bursty loss moves by ±0.3 between loss seeds, so one Bpl from all of a
// curve's points is far steadier than one per bitrate from a few.
func FitSettingTable(version string, rows []CodecRow, meanBurst float64, pool bool) (*emodel.SettingTable, error) {
	type cell struct {
		row             *CodecRow
		clean           *CodecRow
		random, bursty  []emodel.LossPoint
		hasRand, hasBur bool
	}
	var order []string
	cells := map[string]*cell{}
	for i := range rows {
		r := &rows[i]
		c := cells[r.Config]
		if c == nil {
			c = &cell{row: r}
			cells[r.Config] = c
			order = append(order, r.Config)
		}
		ieEff := func() (float64, error) {
			R, err := emodel.RFromPESQWB(r.WB)
			return emodel.RmaxWideband - R, err
		}
		v, err := ieEff()
		if err != nil {
			return nil, fmt.Errorf("bench: refit %s %s: %w", r.Config, r.Condition, err)
		}
		switch {
		case r.LossRate == 0:
			c.clean = r
		case r.Bursty:
			br := 1.0
			if meanBurst > 1 {
				br = max(1, meanBurst*(1-r.NetworkLoss))
			}
			c.bursty = append(c.bursty, emodel.LossPoint{Loss: r.NetworkLoss, BurstRatio: br, IeEff: v})
		default:
			c.random = append(c.random, emodel.LossPoint{Loss: r.NetworkLoss, BurstRatio: 1, IeEff: v})
		}
	}
	ieOf := func(name string) (float64, error) {
		c := cells[name]
		if c.clean == nil {
			return 0, fmt.Errorf("%w: refit %s: no lossless row", ErrConfig, name)
		}
		R, err := emodel.RFromPESQWB(c.clean.WB)
		if err != nil {
			return 0, fmt.Errorf("bench: refit %s: %w", name, err)
		}
		return emodel.RmaxWideband - R, nil
	}
	if pool {
		// Every point of a curve, normalised to Ie = 0, becomes a point of each of its settings.
		type curveKey struct {
			frame, red, low int
			fec             bool
		}
		key := func(r *CodecRow) curveKey { return curveKey{r.FrameMs, r.REDDepth, r.REDLowRateBps, r.FEC} }
		rnd, bur := map[curveKey][]emodel.LossPoint{}, map[curveKey][]emodel.LossPoint{}
		norm := func(pts []emodel.LossPoint, ie float64) []emodel.LossPoint {
			out := make([]emodel.LossPoint, len(pts))
			for i, p := range pts {
				p.IeEff = (p.IeEff - ie) * emodel.RmaxWideband / (emodel.RmaxWideband - ie)
				out[i] = p
			}
			return out
		}
		for _, name := range order {
			ie, err := ieOf(name)
			if err != nil {
				return nil, err
			}
			if ie >= emodel.RmaxWideband {
				continue // no speech left to lose: carries no loss information
			}
			c := cells[name]
			k := key(c.row)
			rnd[k] = append(rnd[k], norm(c.random, ie)...)
			bur[k] = append(bur[k], norm(c.bursty, ie)...)
		}
		for _, name := range order {
			c := cells[name]
			k := key(c.row)
			c.random, c.bursty = rnd[k], bur[k]
		}
	}
	var es []emodel.SettingEntry
	for _, name := range order {
		c := cells[name]
		ie, err := ieOf(name)
		if err != nil {
			return nil, err
		}
		fitIe := ie
		if pool {
			fitIe = 0 // the pooled points are normalised to Ie = 0
		}
		e := emodel.SettingEntry{
			SettingKey: emodel.SettingKey{BitrateBps: c.row.BitrateBps, Frame: time.Duration(c.row.FrameMs) * time.Millisecond,
				FEC: c.row.FEC, REDDepth: c.row.REDDepth, REDLowRateBps: c.row.REDLowRateBps},
			Ie: ie, PESQClean: c.clean.WB, Points: len(c.random) + len(c.bursty),
		}
		if len(c.random) > 0 {
			if e.BplRandom, e.RMSERandom, err = emodel.FitBpl(emodel.Wideband, fitIe, c.random); err != nil {
				return nil, fmt.Errorf("bench: refit %s random: %w", name, err)
			}
		}
		if len(c.bursty) > 0 {
			if e.BplBursty, e.RMSEBursty, err = emodel.FitBpl(emodel.Wideband, fitIe, c.bursty); err != nil {
				return nil, fmt.Errorf("bench: refit %s bursty: %w", name, err)
			}
		}
		switch {
		case len(c.random) == 0 && len(c.bursty) == 0:
			return nil, fmt.Errorf("%w: refit %s: no lossy rows", ErrConfig, name)
		case len(c.random) == 0:
			e.BplRandom = e.BplBursty
		case len(c.bursty) == 0:
			e.BplBursty = e.BplRandom
		}
		es = append(es, e)
	}
	t, err := emodel.NewSettingTable(version, es)
	if err != nil {
		return nil, fmt.Errorf("bench: refit: %w", err)
	}
	return t, nil
}

// ReadCodecCSV reads rows written by WriteCodecCSV (the -rows file of `parley bench refit`, or
// bench codec's codec.csv), so that a table can be refit without rerunning the sweep. A wrong
// header, field count or number returns an error wrapping ErrConfig that names the line; it
// never panics.
func ReadCodecCSV(r io.Reader) ([]CodecRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked per line: the 18-column files from before the neural columns are read too
	var rows []CodecRow
	var cols int
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: codec rows line %d: %v", ErrConfig, line, err)
		}
		if line == 1 {
			if !slices.Equal(rec, codecCSVHeader) && !slices.Equal(rec, codecCSVHeader[:codecCSVOldColumns]) {
				return nil, fmt.Errorf("%w: codec rows: header %q (want %q)", ErrConfig, rec, codecCSVHeader)
			}
			cols = len(rec)
			continue
		}
		if len(rec) != cols {
			return nil, fmt.Errorf("%w: codec rows line %d: %d fields, want %d", ErrConfig, line, len(rec), cols)
		}
		var row CodecRow
		var perr error
		fl := func(i int) float64 {
			v, err := strconv.ParseFloat(rec[i], 64)
			if err != nil && perr == nil {
				perr = fmt.Errorf("%s %q", codecCSVHeader[i], rec[i])
			}
			return v
		}
		in := func(i int) int {
			v, err := strconv.Atoi(rec[i])
			if err != nil && perr == nil {
				perr = fmt.Errorf("%s %q", codecCSVHeader[i], rec[i])
			}
			return v
		}
		bo := func(i int) bool {
			v, err := strconv.ParseBool(rec[i])
			if err != nil && perr == nil {
				perr = fmt.Errorf("%s %q", codecCSVHeader[i], rec[i])
			}
			return v
		}
		row = CodecRow{Config: rec[0], Condition: rec[1], LossRate: fl(2), Bursty: bo(3), BitrateBps: in(4), FrameMs: in(5),
			FEC: bo(6), REDDepth: in(7), REDLowRateBps: in(8), JitterBufMs: in(9), Runs: in(10), WB: fl(11), WBCI: fl(12),
			NB: fl(13), NBCI: fl(14), PayloadKbps: fl(15), NetworkLoss: fl(16), ResidualLoss: fl(17)}
		if cols > codecCSVOldColumns {
			row.DecoderCompl, row.DREDMs, row.DREDShare, row.SampleRateHz = in(18), in(19), fl(20), in(21)
		}
		if perr != nil {
			return nil, fmt.Errorf("%w: codec rows line %d: %v", ErrConfig, line, perr)
		}
		if !(row.NetworkLoss >= 0 && row.NetworkLoss <= 1) || !(row.LossRate >= 0 && row.LossRate <= 1) {
			return nil, fmt.Errorf("%w: codec rows line %d: loss out of 0..1", ErrConfig, line)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// codecCSVHeader is the header WriteCodecCSV writes (TestReadCodecCSVRoundTrip keeps the two in
// step).
var codecCSVHeader = []string{"config", "condition", "loss_rate", "bursty", "bitrate_bps", "frame_ms", "fec", "red_depth",
	"red_low_rate_bps", "jitter_buffer_ms", "runs", "pesq_wb", "pesq_wb_ci95", "pesq_nb", "pesq_nb_ci95",
	"payload_kbps", "network_loss", "residual_loss", "decoder_complexity", "dred_ms", "dred_recovered", "sample_rate_hz"}

// codecCSVOldColumns is the column count of codec CSVs written before the decoder complexity,
// DRED and sample-rate columns; ReadCodecCSV still reads them.
const codecCSVOldColumns = 18
