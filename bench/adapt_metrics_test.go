package bench

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/parley-voice/parley/internal/netem"
)

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	for _, c := range []struct{ q, want float64 }{{0.1, 1}, {0.5, 5}, {0.95, 10}, {1, 10}, {0.01, 1}} {
		if got := percentile(xs, c.q); got != c.want {
			t.Errorf("percentile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if xs[0] != 5 {
		t.Error("percentile sorted its input")
	}
	if !math.IsNaN(percentile(nil, 0.5)) {
		t.Error("percentile of nothing is not NaN")
	}
	if got := durPercentile([]time.Duration{30 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}, 0.5); got != 20*time.Millisecond {
		t.Errorf("durPercentile = %v", got)
	}
}

// ticks builds playing ticks: concealed[i] says tick i was fully concealed.
func ticks(concealed []bool) []Tick {
	ts := make([]Tick, len(concealed))
	for i, c := range concealed {
		ts[i] = Tick{At: time.Duration(i) * PlayoutChunk, Playing: true, MouthToEar: 100 * time.Millisecond,
			BitrateBps: 32000, Frame: 20 * time.Millisecond}
		if c {
			ts[i].Concealed = chunkSamples
		}
	}
	return ts
}

func TestInterruptions(t *testing.T) {
	c := make([]bool, 6000) // one minute
	for i := 100; i < 110; i++ {
		c[i] = true // 100 ms: not an interruption
	}
	for i := 200; i < 215; i++ {
		c[i] = true // 150 ms: one
	}
	for i := 300; i < 340; i++ {
		c[i] = true // 400 ms: one
	}
	for i := 5990; i < 6000; i++ {
		c[i] = true // 100 ms at the end: not one
	}
	ts := ticks(c)
	ts[250].Concealed = chunkSamples / 4 // a partly concealed tick does not count
	n, minutes := interruptions(ts, InterruptionMin)
	if n != 2 || math.Abs(minutes-1) > 1e-9 {
		t.Errorf("interruptions = %d in %.3f min, want 2 in 1", n, minutes)
	}
	// A run reaching the end counts.
	for i := 5985; i < 6000; i++ {
		c[i] = true
	}
	if n, _ := interruptions(ticks(c), InterruptionMin); n != 3 {
		t.Errorf("with a final 150 ms run: %d, want 3", n)
	}
	// Ticks before playout are not counted.
	ts = ticks(make([]bool, 100))
	for i := range 50 {
		ts[i].Playing, ts[i].Concealed = false, chunkSamples
	}
	if n, m := interruptions(ts, InterruptionMin); n != 0 || math.Abs(m-0.5/60) > 1e-9 {
		t.Errorf("before playout: %d in %v min", n, m)
	}
}

func TestConcealSplit(t *testing.T) {
	c := make([]bool, 10)
	c[2], c[3], c[4] = true, true, true // 1440 samples concealed of 4800 played
	var sends []SendEvent
	for i := range 5 {
		s := SendEvent{At: time.Duration(i) * 20 * time.Millisecond, FrameSamples: 960, Arrival: time.Second}
		if i == 1 || i == 3 {
			s.Arrival = -1 // never arrived
		}
		sends = append(sends, s)
	}
	// Two frames lost, one recovered: 960 samples of loss, the other 480 concealed were late.
	late, lost := concealSplit(ticks(c), sends, 1)
	if math.Abs(lost-0.2) > 1e-9 || math.Abs(late-0.1) > 1e-9 {
		t.Errorf("late %.3f lost %.3f, want 0.1 and 0.2", late, lost)
	}
	// Both recovered: all concealment was lateness.
	if late, lost := concealSplit(ticks(c), sends, 2); lost != 0 || math.Abs(late-0.3) > 1e-9 {
		t.Errorf("all recovered: late %.3f lost %.3f", late, lost)
	}
	// More lost than concealed: all loss.
	if late, lost := concealSplit(ticks(c[:5]), sends, 0); late != 0 || math.Abs(lost-0.6) > 1e-9 {
		t.Errorf("unrecovered: late %.3f lost %.3f", late, lost)
	}
}

func TestEModelMOS(t *testing.T) {
	clean := emodelMOS(ticks(make([]bool, 1000)))
	c := make([]bool, 1000)
	for i := range c {
		c[i] = i%10 == 0
	}
	lossy := emodelMOS(ticks(c))
	if !(clean > 4 && lossy < clean-0.3) {
		t.Errorf("MOS clean %.2f, 10 %% concealed %.2f", clean, lossy)
	}
	far := ticks(make([]bool, 1000))
	for i := range far {
		far[i].MouthToEar = 400 * time.Millisecond
	}
	if d := emodelMOS(far); !(d < clean-0.2) {
		t.Errorf("MOS at 400 ms %.2f vs %.2f at 100 ms", d, clean)
	}
	if !math.IsNaN(emodelMOS(nil)) {
		t.Error("MOS of nothing is not NaN")
	}
}

// TestReactRecover builds a synthetic timeline over 100 → 20 → 80 kb/s steps of 2 s: 60 kb/s
// with a 200 ms queue until 2.5 s (the queue lasting until 2.6 s), then 15.2 kb/s, then
// 70 kb/s from 4.8 s.
func TestReactRecover(t *testing.T) {
	steps := []netem.RateStep{{Duration: 2 * time.Second, RateBps: 100e3}, {Duration: 2 * time.Second, RateBps: 20e3},
		{Duration: 2 * time.Second, RateBps: 80e3}}
	var sends []SendEvent
	for at := time.Duration(0); at < 6*time.Second; at += 20 * time.Millisecond {
		s := SendEvent{At: at, WireBytes: 150, Arrival: at + 50*time.Millisecond, Queue: 10 * time.Millisecond}
		switch {
		case at >= 4800*time.Millisecond:
			s.WireBytes = 175
		case at >= 2500*time.Millisecond:
			s.WireBytes = 38
		}
		if at >= 2*time.Second && at < 2600*time.Millisecond {
			s.Queue = 200 * time.Millisecond
		}
		sends = append(sends, s)
	}
	react, recover := reactRecover(steps, sends)
	if react != 600*time.Millisecond {
		t.Errorf("react = %v, want 600ms", react)
	}
	// The first 500 ms window reaching 0.9 × 64 kb/s starts at 4.70 s (80 % of it at 70 kb/s).
	if recover != 700*time.Millisecond {
		t.Errorf("recover = %v, want 700ms", recover)
	}
	// Cut needs only the rate: the first window under 20 kb/s starts at 2.46 s (two packets at
	// 60 kb/s, then 15.2 kb/s). Back is to 90 % of the sender's own 60 kb/s (54 kb/s): the
	// window from 4.66 s (seven packets at 15.2 kb/s, then 70 kb/s).
	cut, back := cutBack(steps, sends)
	if cut != 460*time.Millisecond || back != 660*time.Millisecond {
		t.Errorf("cut, back = %v, %v, want 460ms, 660ms", cut, back)
	}
	// A sender that never slows down never reacts, and one that never speeds up never recovers.
	for i := range sends {
		sends[i].WireBytes = 125
	}
	if react, recover := reactRecover(steps, sends); react != -1 || recover != -1 {
		t.Errorf("constant 50 kb/s: react %v recover %v, want -1 -1", react, recover)
	}
	// It never cuts; at its own rate throughout, it is back at once after the rise.
	if cut, back := cutBack(steps, sends); cut != -1 || back != 0 {
		t.Errorf("constant 50 kb/s: cut %v back %v, want -1 0", cut, back)
	}
	// Queue drops after the drop keep it from reacting.
	for i := range sends {
		sends[i].WireBytes = 38
		if sends[i].At >= 2*time.Second && sends[i].At < 4*time.Second && i%20 == 0 {
			sends[i].QueueDrop, sends[i].Arrival = true, -1
		}
	}
	if react, _ := reactRecover(steps, sends); react != -1 {
		t.Errorf("queue drops every 400 ms: react %v, want -1", react)
	}
}

// TestTickConcealmentMatchesLoss runs plain 20 ms Opus without FEC or RED over 10 % random
// loss into both receivers: the concealment the ticks record must match the loss, all of it
// counted as lost, none as late.
func TestTickConcealmentMatchesLoss(t *testing.T) {
	speech := loadSpeech48(t)
	cfg := netem.LinkConfig{Loss: netem.LossConfig{Model: netem.LossBernoulli, Rate: 0.1},
		Delay: netem.DelayConfig{Base: 20 * time.Millisecond}}
	for _, rx := range []Receiver{&FixedReceiver{}, &AdaptiveReceiver{}} {
		link, err := netem.NewLink(cfg, 2)
		if err != nil {
			t.Fatal(err)
		}
		tl := &Timeline{}
		res, err := runLoop(speech, loopConfig{policy: FixedSetting{BitrateBps: 32000, Buffer: 60 * time.Millisecond}.policy(),
			codec: codecBase(0), rx: rx, timeline: tl}, link)
		if err != nil {
			t.Fatal(err)
		}
		m := runMetrics(tl, res.Result)
		conc := m.ConcealLate + m.ConcealLost
		t.Logf("%T: network loss %.3f, concealed %.3f (late %.3f), m2e %v, buffer %v", rx, res.NetworkLoss, conc, m.ConcealLate, m.M2EP50, m.BufferDelay)
		if conc < 0.7*res.NetworkLoss || conc > 1.3*res.NetworkLoss || m.ConcealLate > 0.01 {
			t.Errorf("%T: concealed %.3f (late %.3f) with network loss %.3f", rx, conc, m.ConcealLate, res.NetworkLoss)
		}
		if m.M2EP50 < 40*time.Millisecond || m.M2EP50 > 200*time.Millisecond || m.BufferDelay <= 0 || m.BufferDelay >= m.M2EP50 {
			t.Errorf("%T: m2e %v, buffer %v", rx, m.M2EP50, m.BufferDelay)
		}
	}
}

func TestPickOracle(t *testing.T) {
	row := func(p, st string, pesq float64, br int) Row {
		return Row{Profile: p, Strategy: st, Seed: 1, RunMetrics: RunMetrics{PESQ: pesq}, Fixed: FixedSetting{BitrateBps: br}}
	}
	rows := []Row{
		row("a", StrategyFixed, 4.5, 0), row("a", StrategyOracle, 4.0, 16000), row("a", StrategyOracle, 4.2, 24000),
		row("b", StrategyFixedFEC, 3.0, 0), row("b", StrategyOracle, 3.5, 16000), row("b", StrategyAdapt, 3.9, 0),
		row("c", StrategyFixed, 4.0, 0), // no grid: no oracle
	}
	got := PickOracle(rows)
	var oracles []Row
	for _, r := range got {
		if r.Strategy == StrategyOracle {
			oracles = append(oracles, r)
		}
	}
	if len(got) != 6 || len(oracles) != 2 {
		t.Fatalf("%d rows, %d oracles: %+v", len(got), len(oracles), got)
	}
	if o := oracles[0]; o.Profile != "a" || o.PESQ != 4.5 || o.Fixed.BitrateBps != 32000 || o.Fixed.FEC {
		t.Errorf("a: %+v (fixed32 is the best fixed setting)", o)
	}
	if o := oracles[1]; o.Profile != "b" || o.PESQ != 3.5 || o.Fixed.BitrateBps != 16000 {
		t.Errorf("b: %+v", o)
	}
}

// TestCompareRunsByRepeat: the per-repetition differences are taken against the run the mean
// chose as the best baseline, their mean is the PESQ difference, and runs with differing
// repetition counts give none.
func TestCompareRunsByRepeat(t *testing.T) {
	row := func(p, st string, reps ...float64) Row {
		r := Row{Profile: p, Strategy: st, Seed: 1, PESQReps: reps}
		r.PESQ = mean(reps)
		return r
	}
	rows := []Row{
		row("a", StrategyFixed, 4.0, 4.0, 4.0), row("a", StrategyTGVoIP, 3.0, 4.5, 4.4), row("a", StrategyAdapt, 3.5, 4.2, 4.6),
		row("b", StrategyWebRTC, 2.0, 3.0, 3.1), row("b", StrategyAdapt, 2.6, 3.0, 3.0),
	}
	v := CompareRuns(rows, StrategyAdapt, "best baseline")
	// a: against fixed32 (4.0 beats tgvoip's 3.97): -0.5, +0.2, +0.6; b: +0.6, 0, -0.1.
	want := []float64{0.05, 0.1, 0.25}
	if len(v.ByRepeat) != 3 {
		t.Fatalf("ByRepeat %v, want %v", v.ByRepeat, want)
	}
	for i := range want {
		if math.Abs(v.ByRepeat[i]-want[i]) > 1e-9 {
			t.Errorf("ByRepeat %v, want %v", v.ByRepeat, want)
		}
	}
	if m := mean(v.ByRepeat); math.Abs(m-v.PESQ) > 1e-9 {
		t.Errorf("mean by repetition %.4f, PESQ difference %.4f", m, v.PESQ)
	}
	rows[4].PESQReps = rows[4].PESQReps[:2]
	if v := CompareRuns(rows, StrategyAdapt, "best baseline"); v.ByRepeat != nil {
		t.Errorf("differing repetition counts: ByRepeat %v, want none", v.ByRepeat)
	}
	var buf strings.Builder
	if err := WriteAdaptCSV(&buf, rows[:1]); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(buf.String()), "\n"); !strings.HasSuffix(lines[0], ",pesq_wb_reps") || !strings.HasSuffix(lines[1], ",4.000;4.000;4.000") {
		t.Errorf("CSV:\n%s", buf.String())
	}
}
