package apm_test

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/parley-voice/parley/bench/pesq"
	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/engine/audio/apm"
	"github.com/parley-voice/parley/internal/echolab"
)

func newProc(t testing.TB, cfg apm.Config) *apm.Processor {
	t.Helper()
	p, err := apm.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

var (
	talkersOnce sync.Once
	talkersVal  *echolab.Talkers
	talkersErr  error
)

// talkers loads the codec2 speech once per test binary (callers only read it).
func talkers(t testing.TB) *echolab.Talkers {
	t.Helper()
	talkersOnce.Do(func() { talkersVal, talkersErr = echolab.LoadTalkers("") })
	if talkersErr != nil {
		t.Fatal(talkersErr)
	}
	return talkersVal
}

func pesqWB(t testing.TB, ref, deg []float32) float64 {
	t.Helper()
	r16, err := codec.Resample(ref, 48000, 16000)
	if err != nil {
		t.Fatal(err)
	}
	d16, err := codec.Resample(deg, 48000, 16000)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pesq.Score(r16, d16, 16000, pesq.Options{Mode: pesq.Wideband})
	if err != nil {
		t.Fatal(err)
	}
	return res.MOSLQO
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []apm.Config{
		{SampleRateHz: 44100},
		{SampleRateHz: -1},
		{EchoSuppression: apm.LevelVeryHigh},
		{EchoSuppression: 9},
		{NoiseLevel: -1},
		{AGCTargetDBFS: 32},
		{AGCGainDB: 91},
		{Canceller: 9},
		{EchoTail: 5 * time.Millisecond},
		{EchoQueue: 2 * time.Second},
		{EchoResidualDB: 3},
		{EchoResidualActiveDB: -91},
	} {
		p, err := apm.New(cfg)
		if err == nil {
			p.Close()
			t.Errorf("New(%+v) accepted", cfg)
			continue
		}
		if !errors.Is(err, apm.ErrSampleRate) && !errors.Is(err, apm.ErrConfig) {
			t.Errorf("New(%+v): %v is neither ErrSampleRate nor ErrConfig", cfg, err)
		}
	}
	for _, hz := range []int{8000, 16000, 32000, 48000} {
		p := newProc(t, apm.Config{SampleRateHz: hz, EchoCancel: true, NoiseSuppress: true, GainControl: true})
		if p.FrameSamples() != hz/100 {
			t.Errorf("%d Hz: frame %d samples", hz, p.FrameSamples())
		}
	}
}

func TestFrameErrorsAndClose(t *testing.T) {
	p := newProc(t, apm.Config{EchoCancel: true})
	for _, n := range []int{0, 479, 481, 720} {
		if err := p.ProcessCapture(make([]float32, n)); !errors.Is(err, apm.ErrFrameSize) {
			t.Errorf("capture of %d samples: %v, want ErrFrameSize", n, err)
		}
		if err := p.AnalyzeReverse(make([]float32, n)); !errors.Is(err, apm.ErrFrameSize) {
			t.Errorf("reverse of %d samples: %v, want ErrFrameSize", n, err)
		}
	}
	if err := p.ProcessCapture(make([]float32, 960)); err != nil {
		t.Fatalf("20 ms capture: %v", err)
	}
	p.Close()
	p.Close()
	if err := p.ProcessCapture(make([]float32, 480)); !errors.Is(err, apm.ErrClosed) {
		t.Errorf("capture after Close: %v, want ErrClosed", err)
	}
	if err := p.AnalyzeReverse(make([]float32, 480)); !errors.Is(err, apm.ErrClosed) {
		t.Errorf("reverse after Close: %v, want ErrClosed", err)
	}
	if st := p.Stats(); st.CaptureFrames != 0 || st.EchoDelay != -1 {
		t.Errorf("stats after Close: %+v", st)
	}
}

// TestBadSamples: NaN and infinities neither crash webrtc nor poison the following frames.
func TestBadSamples(t *testing.T) {
	p := newProc(t, apm.Config{EchoCancel: true, NoiseSuppress: true, GainControl: true})
	bad := make([]float32, 480)
	for i := range bad {
		bad[i] = []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 7}[i%4]
	}
	if err := p.AnalyzeReverse(bad); err != nil {
		t.Fatal(err)
	}
	if err := p.ProcessCapture(bad); err != nil {
		t.Fatal(err)
	}
	tone := audioTone(4800, 0.1)
	for i := 0; i < len(tone); i += 480 {
		if err := p.ProcessCapture(tone[i : i+480]); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range append(bad, tone...) {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v > 1.0001 || v < -1.0001 {
			t.Fatalf("sample %d is %v after processing", i, v)
		}
	}
}

func audioTone(n int, amp float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(amp * math.Sin(2*math.Pi*440*float64(i)/48000))
	}
	return x
}

// TestEchoCancelled runs a real-speech scenario through the canceller and through a processor
// with echo cancellation off (which must leave the echo: the measurement can fail).
func TestEchoCancelled(t *testing.T) {
	tk := talkers(t)
	sig, err := echolab.Scenario{Far: tk.Far[0], Near: tk.Near, Path: echolab.Paths[1], Seed: 1}.Build()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cfg      apm.Config
		min, max float64
	}{
		{apm.Config{EchoCancel: true}, 25, 100},
		{apm.Config{EchoCancel: true, Canceller: apm.CancellerWebRTC}, 25, 100},
		{apm.Config{EchoCancel: true, Canceller: apm.CancellerLinear}, 10, 100},
		{apm.Config{}, -1, 3},
	} {
		p := newProc(t, tc.cfg)
		out, err := echolab.Run(p, sig.Far, sig.Mic)
		if err != nil {
			t.Fatal(err)
		}
		erle := echolab.MedianERLE(sig.ERLE(out), 2*time.Second, time.Hour)
		t.Logf("echo cancel %v (%v): median ERLE after 2 s %.1f dB", tc.cfg.EchoCancel, tc.cfg.Canceller, erle)
		if !(erle >= tc.min && erle <= tc.max) {
			t.Errorf("echo cancel %v (%v): median ERLE %.1f dB, want %v to %v", tc.cfg.EchoCancel, tc.cfg.Canceller, erle, tc.min, tc.max)
		}
		st := p.Stats()
		if st.CaptureFrames != uint64(len(out)/480) || st.ReverseFrames != st.CaptureFrames {
			t.Errorf("stats count %d capture, %d reverse frames for %d", st.CaptureFrames, st.ReverseFrames, len(out)/480)
		}
		if st.EchoResets != 0 {
			t.Errorf("%v: the linear filter was reset %d times on a steady echo path", tc.cfg.Canceller, st.EchoResets)
		}
		// webrtc's delay estimate needs its AEC to see the whole echo (CancellerWebRTC); after
		// the hybrid's linear filter it often finds too little to estimate from.
		if tc.cfg.Canceller == apm.CancellerWebRTC && (st.EchoDelay < 0 || st.ERLEdB < 10) {
			t.Errorf("webrtc's own metrics after 18 s of echo: %+v", st)
		}
	}
}

// TestDelayChangeRecovered: when the echo path's delay grows or shrinks by 10 % mid-call, the
// linear filter, now adding a second echo, is reset and converges again: ERLE in the 2 s after
// the change stays at 20 dB or more (without the reset it was 15–19 dB).
func TestDelayChangeRecovered(t *testing.T) {
	tk := talkers(t)
	for _, chg := range []float64{0.1, -0.1} {
		sig, err := echolab.Scenario{Far: tk.Far[0], Near: tk.Near, Path: echolab.Paths[1], Seed: 1, DelayChange: chg}.Build()
		if err != nil {
			t.Fatal(err)
		}
		p := newProc(t, apm.Config{EchoCancel: true})
		out, err := echolab.Run(p, sig.Far, sig.Mic)
		if err != nil {
			t.Fatal(err)
		}
		erle := echolab.MedianERLE(sig.ERLE(out), echolab.ChangeAt, echolab.ChangeAt+2*time.Second)
		st := p.Stats()
		t.Logf("delay %+.0f%%: ERLE %.1f dB in the 2 s after the change, filter reset %d times", chg*100, erle, st.EchoResets)
		if erle < 20 || st.EchoResets < 1 {
			t.Errorf("delay %+.0f%%: ERLE %.1f dB in the 2 s after the change (want ≥ 20), filter reset %d times (want ≥ 1)", chg*100, erle, st.EchoResets)
		}
	}
}

// TestResidualKeepsCleanSpeech: with the far end silent, speexdsp's residual echo suppressor
// costs clean wideband speech at most 0.04 PESQ-WB over the canceller without it. Its output is
// one frame late; were the microphone's own path (the band above 8 kHz) not delayed to match,
// the two bands would be 10 ms apart and the clip would lose about 0.08.
func TestResidualKeepsCleanSpeech(t *testing.T) {
	tk := talkers(t)
	clean := tk.Far[0].Speech[:8*48000]
	score := map[bool]float64{}
	for _, off := range []bool{false, true} {
		p := newProc(t, apm.Config{EchoCancel: true, NoEchoResidual: off})
		out, err := echolab.Run(p, make([]float32, len(clean)), clean)
		if err != nil {
			t.Fatal(err)
		}
		score[off] = pesqWB(t, clean[:len(out)], out)
	}
	t.Logf("clean speech, far end silent: PESQ-WB %.3f with the residual suppressor, %.3f without", score[false], score[true])
	if score[false] < score[true]-0.04 {
		t.Errorf("the residual suppressor costs clean speech %.3f PESQ-WB (want ≤ 0.04)", score[true]-score[false])
	}
}

// TestLinearFollowsReportedDelay: an echo 400 ms late is beyond the linear filter's 250 ms
// tail unless SetDelay reports the delay (the filter then holds the far end back by it).
func TestLinearFollowsReportedDelay(t *testing.T) {
	tk := talkers(t)
	path := echolab.Path{Name: "400ms-rt100", Delay: 400 * time.Millisecond, RT60: 100 * time.Millisecond}
	sig, err := echolab.Scenario{Far: tk.Far[0], Near: tk.Near, Path: path, Seed: 1}.Build()
	if err != nil {
		t.Fatal(err)
	}
	erle := map[bool]float64{}
	for _, report := range []bool{false, true} {
		p := newProc(t, apm.Config{EchoCancel: true, Canceller: apm.CancellerLinear})
		if report {
			p.SetDelay(path.Delay)
		}
		out, err := echolab.Run(p, sig.Far, sig.Mic)
		if err != nil {
			t.Fatal(err)
		}
		erle[report] = echolab.MedianERLE(sig.ERLE(out), 2*time.Second, time.Hour)
	}
	t.Logf("linear filter, echo 400 ms late: ERLE %.1f dB without the delay reported, %.1f dB with", erle[false], erle[true])
	if erle[false] > 6 || erle[true] < 12 {
		t.Errorf("ERLE %.1f dB without the delay reported (want ≤ 6), %.1f dB with (want ≥ 12)", erle[false], erle[true])
	}
}

// TestNoiseSuppressed: speech in white noise at 5 dB SNR scores higher on PESQ-WB after noise
// suppression (at the default level, high), and clean speech loses at most 0.05 to it beyond
// what the DC blocker alone costs: the suppressor's SNR gate pauses it there
// (`parley bench apm` has the figures over more clips and noises).
func TestNoiseSuppressed(t *testing.T) {
	tk := talkers(t)
	clean := tk.Far[0].Speech[:8*48000]
	noisy := echolab.AddNoise(clean, echolab.Noise(echolab.NoiseWhite, len(clean), -40, nil, 1), 5)
	run := func(cfg apm.Config, x []float32) ([]float32, apm.Stats) {
		p := newProc(t, cfg)
		out, err := echolab.Run(p, nil, x)
		if err != nil {
			t.Fatal(err)
		}
		return out, p.Stats()
	}
	ns := apm.Config{NoiseSuppress: true}
	outNoisy, stNoisy := run(ns, noisy)
	outClean, stClean := run(ns, clean)
	outHPF, _ := run(apm.Config{}, clean)
	before, after := pesqWB(t, clean, noisy), pesqWB(t, clean, outNoisy)
	cleanHPF, cleanAfter := pesqWB(t, clean, outHPF), pesqWB(t, clean, outClean)
	t.Logf("5 dB white: PESQ-WB %.2f → %.2f (suppressor on %d of %d frames); clean, high-pass alone %.2f, with NS %.2f (on %d frames)",
		before, after, stNoisy.NoiseFrames, stNoisy.CaptureFrames, cleanHPF, cleanAfter, stClean.NoiseFrames)
	if after < before+0.3 {
		t.Errorf("noise suppression: PESQ-WB %.2f → %.2f, want a gain of 0.3 or more", before, after)
	}
	if cleanAfter < cleanHPF-0.05 {
		t.Errorf("noise suppression on clean speech: PESQ-WB %.2f with the high-pass filter alone, %.2f with NS", cleanHPF, cleanAfter)
	}
	if !stNoisy.NoiseActive || stNoisy.NoiseFrames < stNoisy.CaptureFrames/2 {
		t.Errorf("in 5 dB noise the suppressor ran on %d of %d frames", stNoisy.NoiseFrames, stNoisy.CaptureFrames)
	}
	if _, st := run(apm.Config{NoiseSuppress: true, NoiseAlways: true}, clean); st.NoiseFrames != st.CaptureFrames {
		t.Errorf("NoiseAlways: the suppressor ran on %d of %d frames", st.NoiseFrames, st.CaptureFrames)
	}
}

// TestDCBlocked: a microphone's DC offset is gone after a processor that does nothing else (the
// default DC blocker) and after webrtc's high-pass filter (Config.HighPass), while a 440 Hz
// tone keeps its level within 0.5 dB.
func TestDCBlocked(t *testing.T) {
	tone := audioTone(48000, 0.1)
	for _, hp := range []bool{false, true} {
		p := newProc(t, apm.Config{HighPass: hp})
		x := make([]float32, len(tone))
		for i := range x {
			x[i] = tone[i] + 0.2
		}
		out, err := echolab.Run(p, nil, x)
		if err != nil {
			t.Fatal(err)
		}
		last := out[len(out)/2:]
		var mean, pow, ref float64
		for i, v := range last {
			mean += float64(v)
			pow += float64(v) * float64(v)
			r := tone[len(out)/2+i]
			ref += float64(r) * float64(r)
		}
		mean /= float64(len(last))
		db := 10 * math.Log10((pow/float64(len(last))-mean*mean)/(ref/float64(len(last))))
		t.Logf("high-pass %v: DC 0.2 → %.5f, tone %+.2f dB", hp, mean, db)
		if math.Abs(mean) > 0.002 || math.Abs(db) > 0.5 {
			t.Errorf("high-pass %v: DC 0.2 → %.5f, tone %+.2f dB", hp, mean, db)
		}
	}
}

// TestConcurrentStreams: playout and capture run on their own goroutines in a call.
func TestConcurrentStreams(t *testing.T) {
	p := newProc(t, apm.Config{EchoCancel: true, NoiseSuppress: true, GainControl: true})
	tone := audioTone(480*100, 0.1)
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	wg.Add(3)
	go func() {
		defer wg.Done()
		for i := 0; i < len(tone); i += 480 {
			if err := p.AnalyzeReverse(tone[i : i+480]); err != nil {
				errs <- err
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		mic := make([]float32, 480)
		for i := 0; i < len(tone); i += 480 {
			copy(mic, tone[i:i+480])
			p.SetDelay(40 * time.Millisecond)
			if err := p.ProcessCapture(mic); err != nil {
				errs <- err
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range 50 {
			_ = p.Stats()
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestNoAllocations(t *testing.T) {
	p := newProc(t, apm.Config{EchoCancel: true, NoiseSuppress: true, GainControl: true})
	far, mic := audioTone(480, 0.1), audioTone(480, 0.05)
	allocs := testing.AllocsPerRun(200, func() {
		if err := p.AnalyzeReverse(far); err != nil {
			t.Fatal(err)
		}
		if err := p.ProcessCapture(mic); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per 10 ms frame, want 0", allocs)
	}
}

// BenchmarkFrame is the cost of one 10 ms frame at 48 kHz with everything on (reverse and
// capture), on real speech with echo.
func BenchmarkFrame(b *testing.B) {
	tk := talkers(b)
	sig, err := echolab.Scenario{Far: tk.Far[0], Near: tk.Near, Path: echolab.Paths[1], Seed: 1}.Build()
	if err != nil {
		b.Fatal(err)
	}
	p := newProc(b, apm.Config{EchoCancel: true, NoiseSuppress: true, GainControl: true})
	mic := make([]float32, 480)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		off := i * 480 % (len(sig.Mic) - 480)
		copy(mic, sig.Mic[off:off+480])
		if err := p.AnalyzeReverse(sig.Far[off : off+480]); err != nil {
			b.Fatal(err)
		}
		if err := p.ProcessCapture(mic); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzProcessCapture(f *testing.F) {
	f.Add([]byte{0, 0, 0x80, 0x7f}, []byte{0, 0, 0xc0, 0x7f})
	f.Fuzz(func(t *testing.T, far, mic []byte) {
		p, err := apm.New(apm.Config{EchoCancel: true, NoiseSuppress: true, GainControl: true, SampleRateHz: 8000})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		fr, mc := floats(far, 80), floats(mic, 80)
		if err := p.AnalyzeReverse(fr); err != nil {
			t.Fatal(err)
		}
		if err := p.ProcessCapture(mc); err != nil {
			t.Fatal(err)
		}
		for _, v := range mc {
			if math.IsNaN(float64(v)) || math.Abs(float64(v)) > 1.0001 {
				t.Fatalf("output sample %v", v)
			}
		}
	})
}

// floats reads b as little-endian float32s into a whole number of n-sample frames.
func floats(b []byte, n int) []float32 {
	x := make([]float32, max(1, (len(b)/4+n-1)/n)*n)
	for i := 0; i+4 <= len(b); i += 4 {
		x[i/4] = math.Float32frombits(uint32(b[i]) | uint32(b[i+1])<<8 | uint32(b[i+2])<<16 | uint32(b[i+3])<<24)
	}
	return x
}
