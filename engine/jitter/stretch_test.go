package jitter

import (
	"math"
	"testing"
	"time"

	"github.com/parley-voice/parley/bench/pesq"
	"github.com/parley-voice/parley/codec"
)

// pesqWB scores deg against ref (both 48 kHz) with PESQ-WB at 16 kHz.
func pesqWB(t testing.TB, ref, deg []float32) float64 {
	t.Helper()
	r, err := codec.Resample(ref, rtpClockHz, 16000)
	if err != nil {
		t.Fatal(err)
	}
	d, err := codec.Resample(deg, rtpClockHz, 16000)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pesq.Score(r, d, 16000, pesq.Options{Mode: pesq.Wideband})
	if err != nil {
		t.Fatal(err)
	}
	return res.MOSLQO
}

// maxStep is the largest sample-to-sample jump.
func maxStep(x []float32) float64 {
	var m float64
	for i := 1; i < len(x); i++ {
		m = max(m, math.Abs(float64(x[i]-x[i-1])))
	}
	return m
}

// played cuts the playout to the clip: from the first played sample, n samples.
func played(t testing.TB, b *Buffer, tr trace, n int) []float32 {
	t.Helper()
	at, _, ok := b.PlayoutStart()
	if !ok {
		t.Fatal("playout never started")
	}
	i := int(at/(10*time.Millisecond)) * 480
	return tr.out[i:min(len(tr.out), i+n)]
}

func TestStretchQuality(t *testing.T) {
	speech := loadSpeech(t)[:8*rtpClockHz]
	set := codec.DefaultSettings()
	tx := encode(t, speech, set, 0)
	dur := 9 * time.Second

	// Reference: constant link, constant target: no stretching, codec only.
	ref := newBuffer(t, Config{})
	ref.SetTargetPolicy(func(Estimate) time.Duration { return DefaultInitialTarget })
	trRef := run(t, ref, deliver(tx, constDelay(20*time.Millisecond)), dur)
	outRef := played(t, ref, trRef, len(speech))
	if s := ref.Stats(); s.RemovedSamplesForAcceleration+s.InsertedSamplesForDeceleration != 0 {
		t.Fatalf("reference stretched: %+v", s)
	}

	// Forced: constant link, the target steps 20 → 120 → 20 ms: with Config.DecelerateFar the
	// buffer decelerates then accelerates by 100 ms each way wherever the audio allows; by
	// default it stretches towards a rise beyond decelReach, and accelerates, only in the
	// talker's pauses (pauseRun), which PESQ, aligning each utterance, does not notice.
	forcedRun := func(cfg Config) (*Buffer, trace) {
		b := newBuffer(t, cfg)
		var clock time.Duration
		b.SetTargetPolicy(func(Estimate) time.Duration {
			if clock >= 2*time.Second && clock < 5*time.Second {
				return 120 * time.Millisecond
			}
			return 20 * time.Millisecond
		})
		rx := deliver(tx, constDelay(20*time.Millisecond))
		var tr trace
		buf := make([]float32, 480)
		i := 0
		for clock = 0; clock < dur; clock += 10 * time.Millisecond {
			for ; i < len(rx) && rx[i].at <= clock; i++ {
				_ = b.Push(rx[i].at, rx[i].p)
			}
			b.Pull(clock, buf)
			tr.out = append(tr.out, buf...)
		}
		return b, tr
	}
	forced, trF := forcedRun(Config{DecelerateFar: true})
	outF := played(t, forced, trF, len(speech)+rtpClockHz/4)
	sf := forced.Stats()
	def, trD := forcedRun(Config{})
	outD := played(t, def, trD, len(speech)+rtpClockHz/4)
	sd := def.Stats()

	// Link: the network delay steps 20 → 120 → 20 ms (at 2.5 s and 5 s of the clip).
	step := newBuffer(t, Config{})
	trS := run(t, step, deliver(tx, func(_ int, at time.Duration) (time.Duration, bool) {
		if at >= 2500*time.Millisecond && at < 5*time.Second {
			return 120 * time.Millisecond, false
		}
		return 20 * time.Millisecond, false
	}), dur)
	outS := played(t, step, trS, len(speech)+rtpClockHz/4)
	ss := step.Stats()

	qRef, qF, qS := pesqWB(t, speech, outRef), pesqWB(t, speech, outF), pesqWB(t, speech, outS)
	qD := pesqWB(t, speech, outD)
	t.Logf("PESQ-WB: target steps, default (pauses only) %.2f (inserted %d, removed %d samples)", qD, sd.InsertedSamplesForDeceleration, sd.RemovedSamplesForAcceleration)
	cRef, cF, cS := maxStep(outRef), maxStep(outF), maxStep(outS)
	t.Logf("PESQ-WB: no stretch %.2f; target steps %.2f (inserted %d, removed %d samples); delay steps %.2f (inserted %d, removed %d, concealed %d)",
		qRef, qF, sf.InsertedSamplesForDeceleration, sf.RemovedSamplesForAcceleration, qS, ss.InsertedSamplesForDeceleration, ss.RemovedSamplesForAcceleration, ss.ConcealedSamples)
	t.Logf("largest sample step: sent %.3f, no stretch %.3f, target steps %.3f, delay steps %.3f", maxStep(speech), cRef, cF, cS)
	// Decelerating follows the 100 ms rise to within decelBand; accelerating follows the fall
	// only to within accelBand (30 ms) of the target: at least 100 ms − accelBand removed.
	if sf.InsertedSamplesForDeceleration < 4000 || sf.RemovedSamplesForAcceleration < uint64(durationTS(100*time.Millisecond-accelBand)) {
		t.Fatalf("forced target steps stretched too little: %+v", sf)
	}
	// Thresholds from measurement, with a margin for other libopus builds: measured 4.54
	// unstretched, 3.85 with the target steps (DecelerateFar), 4.50 with the delay steps
	// (which also conceal 140 ms; 4.37 when the buffer still decelerated towards the rise).
	// PESQ aligns each utterance as a whole, so a delay that moves inside an utterance costs
	// score even where nothing is audible: cutting 40 ms of near-silence 50 ms before the
	// first word of this clip, with no codec at all, scores 4.02 against 4.64 for the
	// untouched clip.
	// The same stretching confined to pauses: measured 4.15 against 3.84.
	if qD < 3.95 || qD < qF+0.1 {
		t.Errorf("target steps stretched in pauses: PESQ-WB %.2f, want >= 3.95 and 0.1 above stretching anywhere (%.2f)", qD, qF)
	}
	if sd.InsertedSamplesForDeceleration < 4000 {
		t.Errorf("default buffer did not follow a 100 ms target rise in the pauses: %+v", sd)
	}
	if qF < 3.7 {
		t.Errorf("stretched speech PESQ-WB %.2f (unstretched %.2f), want >= 3.7", qF, qRef)
	}
	if qS < 4.0 {
		t.Errorf("delay-step PESQ-WB %.2f, want >= 4.0", qS)
	}
	if cF > 1.25*cRef || cS > 1.25*cRef {
		t.Errorf("stretching made a click: max step %.3f / %.3f vs %.3f unstretched", cF, cS, cRef)
	}
}

func TestStretchJointsAreContinuous(t *testing.T) {
	// A vowel-like signal: 125 Hz harmonics.
	const n = 2400
	x := make([]float32, n+maxLag)
	for i := range n {
		ph := 2 * math.Pi * 125 * float64(i) / rtpClockHz
		x[i] = float32(0.5*math.Sin(ph) + 0.25*math.Sin(3*ph+1) + 0.1*math.Sin(7*ph+2))
	}
	orig := maxStep(x[:n])
	arr := make([]time.Duration, len(x))
	scratch := make([]float32, len(x)/decim+1)
	l, c := bestLag(x[:n], scratch, maxLag)
	if l != rtpClockHz/125 || c < 0.99 {
		t.Fatalf("lag %d corr %.3f, want %d", l, c, rtpClockHz/125)
	}
	y := append([]float32(nil), x...)
	m := removePeriod(y[:n], arr, l)
	if s := maxStep(y[:m]); s > 1.05*orig {
		t.Fatalf("remove: max step %.4f vs %.4f", s, orig)
	}
	y = append([]float32(nil), x...)
	m = insertPeriod(y, arr, n, l)
	if m != n+l {
		t.Fatalf("insert: length %d", m)
	}
	if s := maxStep(y[:m]); s > 1.05*orig {
		t.Fatalf("insert: max step %.4f vs %.4f", s, orig)
	}
}

// TestAccelerateInPauses: a target that falls by less than far (3 × accelBand) is followed
// down only in pauses of at least pauseRun, never in the shorter quiet gaps inside an
// utterance. The signal is vowel-like bursts separated by near-silence (-60 dBFS noise, DTX
// off so that the quiet frames are sent and decoded).
func TestAccelerateInPauses(t *testing.T) {
	removed := func(gap time.Duration) uint64 {
		const burst = 700 * time.Millisecond
		n := 8 * rtpClockHz
		x := make([]float32, n)
		period := durationTS(burst + gap)
		for i := range x {
			if time.Duration(int64(i)%period)*time.Second/rtpClockHz < burst {
				ph := 2 * math.Pi * 150 * float64(i) / rtpClockHz
				x[i] = float32(0.3*math.Sin(ph) + 0.15*math.Sin(3*ph+1) + 0.05*math.Sin(7*ph+2))
			} else {
				x[i] = float32(0.001 * math.Sin(float64(i)*1.7))
			}
		}
		set := codec.DefaultSettings()
		set.DTX = false
		tx := encode(t, x, set, 0)
		b := newBuffer(t, Config{InitialTarget: 130 * time.Millisecond})
		var clock time.Duration
		b.SetTargetPolicy(func(Estimate) time.Duration {
			if clock < 2*time.Second {
				return 120 * time.Millisecond
			}
			return 60 * time.Millisecond // 60 ms off: past accelBand, short of far
		})
		rx := deliver(tx, constDelay(20*time.Millisecond))
		buf := make([]float32, 480)
		i := 0
		for clock = 0; clock < 9*time.Second; clock += 10 * time.Millisecond {
			for ; i < len(rx) && rx[i].at <= clock; i++ {
				_ = b.Push(rx[i].at, rx[i].p)
			}
			b.Pull(clock, buf)
		}
		return b.Stats().RemovedSamplesForAcceleration
	}
	if r := removed(100 * time.Millisecond); r != 0 {
		t.Errorf("100 ms gaps (shorter than pauseRun): accelerated %d samples, want none", r)
	}
	if r := removed(400 * time.Millisecond); r < uint64(durationTS(60*time.Millisecond-accelBand)) {
		t.Errorf("400 ms pauses: accelerated %d samples, want at least %d", r, durationTS(60*time.Millisecond-accelBand))
	}
}

// TestShedsFarExcess: the first 800 ms of packets arrive together, late (a slow first packet
// with the rest queued behind it), then on time, so playout starts 0.8 s above its target. The
// buffer sheds that as NetEq's fast accelerate would (see shedExcess): within 2 s of playout the
// margin is back within 250 ms of the target (at MaxStretchRate and in pauses alone it took
// 4.5 s), it removes no more than the excess, and then holds the target as before.
func TestShedsFarExcess(t *testing.T) {
	tx := encode(t, loadSpeech(t), codec.DefaultSettings(), 0)
	const burst = 800 * time.Millisecond
	rx := deliver(tx, func(_ int, at time.Duration) (time.Duration, bool) {
		if at < burst {
			return burst + 40*time.Millisecond - at, false
		}
		return 40 * time.Millisecond, false
	})
	b := newBuffer(t, Config{FEC: true})
	tr := run(t, b, rx, 11*time.Second)
	start := -1
	for i, s := range tr.stats {
		if s.Margin > 0 {
			start = i
			break
		}
	}
	if start < 0 {
		t.Fatal("playout never started")
	}
	at := func(d time.Duration) Stats { return tr.stats[min(start+int(d/(10*time.Millisecond)), len(tr.stats)-1)] }
	if s := at(0); s.Margin-s.TargetDelay < burst-100*time.Millisecond {
		t.Fatalf("playout started %v above its target %v, want about %v", s.Margin-s.TargetDelay, s.TargetDelay, burst)
	}
	if s := at(2 * time.Second); s.Margin-s.TargetDelay > 250*time.Millisecond {
		t.Errorf("2 s into playout the margin is %v above the target %v, want within 250 ms", s.Margin-s.TargetDelay, s.TargetDelay)
	}
	if s := at(7 * time.Second); s.Margin-s.TargetDelay < -decelBand || s.Margin-s.TargetDelay > accelBand {
		t.Errorf("7 s into playout the margin is %v off the target %v, want within the dead band", s.Margin-s.TargetDelay, s.TargetDelay)
	}
	last := tr.stats[len(tr.stats)-1]
	if removed := tsDuration(int64(last.RemovedSamplesForAcceleration)); removed > burst {
		t.Errorf("removed %v of audio for %v of excess", removed, burst)
	}
	t.Logf("excess at start %v, after 1 s %v, after 2 s %v; removed %v", at(0).Margin-at(0).TargetDelay,
		at(time.Second).Margin-at(time.Second).TargetDelay, at(2*time.Second).Margin-at(2*time.Second).TargetDelay,
		tsDuration(int64(last.RemovedSamplesForAcceleration)))
}
