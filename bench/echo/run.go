package echo

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/parley-voice/parley/bench/pesq"
	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/engine/audio/apm"
	"github.com/parley-voice/parley/internal/echolab"
)

// Config is one processor setting under test.
type Config struct {
	Name string
	APM  *apm.Config // nil: no processing (the microphone as is)
}

// EchoConfigs are the settings the echo scenarios compare: nothing, the echo canceller alone
// at its default (apm.CancellerHybrid: speexdsp's linear filter and residual echo suppressor,
// then webrtc's AEC at low suppression), webrtc's AEC alone (at moderate suppression, the
// first default), and the chain a call runs on a microphone by default (AEC + NS + AGC, with
// the DC blocker).
func EchoConfigs() []Config {
	return []Config{
		{Name: "none"},
		{Name: "aec", APM: &apm.Config{EchoCancel: true}},
		{Name: "webrtc", APM: &apm.Config{EchoCancel: true, Canceller: apm.CancellerWebRTC, EchoSuppression: apm.LevelModerate}},
		{Name: "call", APM: &apm.Config{EchoCancel: true, NoiseSuppress: true, GainControl: true}},
	}
}

// NSConfigs are the settings the noise scenarios compare: nothing, the DC blocker alone
// (always on in a call's processor), webrtc's 80 Hz high-pass filter alone (apm.Config's
// HighPass, the DC blocker's alternative), noise suppression at its default (high, paused on
// clean speech by its SNR gate) and the same suppressor with no gate.
func NSConfigs() []Config {
	return []Config{
		{Name: "none"},
		{Name: "dc", APM: &apm.Config{}},
		{Name: "hpf", APM: &apm.Config{HighPass: true}},
		{Name: "ns", APM: &apm.Config{NoiseSuppress: true}},
		{Name: "ns-always", APM: &apm.Config{NoiseSuppress: true, NoiseAlways: true}},
	}
}

// Options of Run. The zero value (with Talkers set) is the full bench.
type Options struct {
	Talkers *echolab.Talkers // required: echolab.LoadTalkers
	// SERsDB are the near-end-to-echo level ratios of the echo scenarios, in dB (0: the echo is
	// as loud as the near-end talker). Nil means {0, 10}.
	SERsDB []float64
	// SNRsDB are the noise scenarios' speech-to-noise ratios. Nil means {0, 5, 10}.
	SNRsDB []float64
	Seed   uint64
	// Workers run scenarios in parallel; 0 means one per core. CPU per frame is measured per
	// thread, so parallel runs do not inflate it (unless the cores are oversubscribed).
	Workers int
	// Progress, when set, is called after each finished run (from any goroutine).
	Progress func()
}

// EchoRow is one echo scenario under one config.
type EchoRow struct {
	Far, Path, Condition string  // Condition: "" or the robustness change
	SERdB                float64 // near-end active level over echo active level
	Config               string
	ERLEdB               float64 // median over valid windows after 2 s (NaN for none)
	ERLEChangeDB         float64 // median over the valid windows of 9–11 s, just after ChangeAt
	ERLELastDB           float64 // median over the valid windows of the last far-only segment
	DoubleTalkPESQ       float64 // PESQ-WB of the double-talk stretches against the clean near end
	NearOnlyPESQ         float64 // PESQ-WB of the near-only stretch
	CPUPerFrame          time.Duration
	Track                []echolab.ERLEPoint // ERLE over time
}

// NSRow is one noise scenario under one config.
type NSRow struct {
	Clip, Noise string  // Noise "clean" for no noise
	SNRdB       float64 // NaN for clean
	Config      string
	PESQ        float64 // PESQ-WB against the clean clip
}

// Report is everything Run measured.
type Report struct {
	Echo []EchoRow
	NS   []NSRow
}

// Robustness conditions run on one scenario (the wideband far talker, 60 ms path, SER 0 dB).
var robustness = []struct {
	Name   string
	Change float64
	PPM    float64
}{
	{"delay +10%", 0.1, 0},
	{"delay -10%", -0.1, 0},
	{"drift +100ppm", 0, 100},
	{"drift -100ppm", 0, -100},
}

type echoJob struct {
	far   echolab.Talker
	path  echolab.Path
	ser   float64
	cond  string
	chg   float64
	ppm   float64
	confs []Config
}

// Run measures every scenario. It stops at the first error or when ctx ends.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Talkers == nil || len(o.Talkers.Far) == 0 {
		return nil, fmt.Errorf("%w: no talkers", ErrOptions)
	}
	if o.SERsDB == nil {
		o.SERsDB = []float64{0, 10}
	}
	if o.SNRsDB == nil {
		o.SNRsDB = []float64{0, 5, 10}
	}
	for _, v := range append(append([]float64(nil), o.SERsDB...), o.SNRsDB...) {
		if v < -30 || v > 60 {
			return nil, fmt.Errorf("%w: level ratio %v dB (-30 to 60)", ErrOptions, v)
		}
	}
	var jobs []echoJob
	for _, far := range o.Talkers.Far {
		for _, p := range echolab.Paths {
			for _, ser := range o.SERsDB {
				jobs = append(jobs, echoJob{far: far, path: p, ser: ser, confs: EchoConfigs()})
			}
		}
	}
	for _, r := range robustness {
		jobs = append(jobs, echoJob{far: o.Talkers.Far[0], path: echolab.Paths[1], cond: r.Name, chg: r.Change, ppm: r.PPM,
			confs: []Config{EchoConfigs()[1], EchoConfigs()[3]}})
	}
	type nsJob struct {
		clip  echolab.Talker
		noise echolab.NoiseKind
		snr   float64 // NaN: clean
	}
	var nsJobs []nsJob
	clips := []echolab.Talker{trim(o.Talkers.Far[0], 8), trim(o.Talkers.Near, 8)}
	for _, c := range clips {
		nsJobs = append(nsJobs, nsJob{clip: c, snr: math.NaN()})
		for _, k := range []echolab.NoiseKind{echolab.NoiseWhite, echolab.NoiseBabble} {
			for _, snr := range o.SNRsDB {
				nsJobs = append(nsJobs, nsJob{clip: c, noise: k, snr: snr})
			}
		}
	}

	echoRows := make([][]EchoRow, len(jobs))
	nsRows := make([][]NSRow, len(nsJobs))
	g, gctx := errgroup.WithContext(ctx)
	w := o.Workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	g.SetLimit(w)
	for i, j := range jobs {
		g.Go(func() error {
			if gctx.Err() != nil {
				return gctx.Err()
			}
			rows, err := runEcho(o, j)
			echoRows[i] = rows
			if err == nil && o.Progress != nil {
				o.Progress()
			}
			return err
		})
	}
	for i, j := range nsJobs {
		g.Go(func() error {
			if gctx.Err() != nil {
				return gctx.Err()
			}
			rows, err := runNS(o, j.clip, j.noise, j.snr)
			nsRows[i] = rows
			if err == nil && o.Progress != nil {
				o.Progress()
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	r := &Report{}
	for _, rows := range echoRows {
		r.Echo = append(r.Echo, rows...)
	}
	for _, rows := range nsRows {
		r.NS = append(r.NS, rows...)
	}
	return r, nil
}

// Runs is the number of scenario runs Run makes (for a progress bar).
func Runs(o Options) int {
	sers, snrs := len(o.SERsDB), len(o.SNRsDB)
	if o.SERsDB == nil {
		sers = 2
	}
	if o.SNRsDB == nil {
		snrs = 3
	}
	far := 2
	if o.Talkers != nil {
		far = len(o.Talkers.Far)
	}
	return far*len(echolab.Paths)*sers + len(robustness) + 2*(1+2*snrs)
}

func trim(t echolab.Talker, seconds int) echolab.Talker {
	n := min(len(t.Speech), seconds*echolab.SampleRateHz)
	return echolab.Talker{Name: t.Name, Speech: t.Speech[:n]}
}

func runEcho(o Options, j echoJob) ([]EchoRow, error) {
	sc := echolab.Scenario{Far: j.far, Near: o.Talkers.Near, Path: j.path, EchoDBFS: echolab.DefaultSpeechDBFS - j.ser,
		DelayChange: j.chg, DriftPPM: j.ppm, Seed: o.Seed}
	sig, err := sc.Build()
	if err != nil {
		return nil, err
	}
	dtRef := sig.Cut(sig.Near, echolab.DoubleTalk)
	noRef := sig.Cut(sig.Near, echolab.NearOnly)
	var rows []EchoRow
	for _, c := range j.confs {
		out, cpu, err := process(c, sig.Far, sig.Mic)
		if err != nil {
			return nil, fmt.Errorf("echo: %s %s %s: %w", j.far.Name, j.path.Name, c.Name, err)
		}
		row := EchoRow{Far: j.far.Name, Path: j.path.Name, Condition: j.cond, SERdB: j.ser, Config: c.Name,
			CPUPerFrame: cpu, ERLEdB: math.NaN(), ERLEChangeDB: math.NaN(), ERLELastDB: math.NaN()}
		if c.APM != nil {
			row.Track = sig.ERLE(out)
			row.ERLEdB = echolab.MedianERLE(row.Track, 2*time.Second, time.Hour)
			row.ERLEChangeDB = echolab.MedianERLE(row.Track, echolab.ChangeAt, echolab.ChangeAt+2*time.Second)
			last := sig.Segments[len(sig.Segments)-1]
			row.ERLELastDB = echolab.MedianERLE(row.Track, last.Start, last.End)
		}
		if row.DoubleTalkPESQ, err = pesqWB(dtRef, sig.Cut(out, echolab.DoubleTalk)); err != nil {
			return nil, err
		}
		if row.NearOnlyPESQ, err = pesqWB(noRef, sig.Cut(out, echolab.NearOnly)); err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func runNS(o Options, clip echolab.Talker, kind echolab.NoiseKind, snr float64) ([]NSRow, error) {
	in := clip.Speech
	name := "clean"
	if !math.IsNaN(snr) {
		name = kind.String()
		in = echolab.AddNoise(clip.Speech, echolab.Noise(kind, len(clip.Speech), -30, o.Talkers.Babble, o.Seed+uint64(int64(snr*10))), snr)
	}
	var rows []NSRow
	for _, c := range NSConfigs() {
		out, _, err := process(c, nil, in)
		if err != nil {
			return nil, fmt.Errorf("echo: noise %s %s: %w", clip.Name, c.Name, err)
		}
		s, err := pesqWB(clip.Speech[:len(out)], out)
		if err != nil {
			return nil, err
		}
		rows = append(rows, NSRow{Clip: clip.Name, Noise: name, SNRdB: snr, Config: c.Name, PESQ: s})
	}
	return rows, nil
}

// process runs one config over the streams and measures the processor's CPU per 10 ms frame
// (reverse and capture together) on its own thread.
func process(c Config, far, mic []float32) ([]float32, time.Duration, error) {
	if c.APM == nil {
		return append([]float32(nil), mic...), 0, nil
	}
	p, err := apm.New(*c.APM)
	if err != nil {
		return nil, 0, err
	}
	defer p.Close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0, t0 := threadCPU(), time.Now()
	out, err := echolab.Run(p, far, mic)
	c1, wall := threadCPU(), time.Since(t0)
	if err != nil {
		return nil, 0, err
	}
	frames := time.Duration(max(1, len(out)/p.FrameSamples()))
	if c0 < 0 || c1 < 0 {
		return out, wall / frames, nil
	}
	return out, (c1 - c0) / frames, nil
}

func pesqWB(ref, deg []float32) (float64, error) {
	r16, err := codec.Resample(ref, echolab.SampleRateHz, 16000)
	if err != nil {
		return 0, err
	}
	d16, err := codec.Resample(deg, echolab.SampleRateHz, 16000)
	if err != nil {
		return 0, err
	}
	res, err := pesq.Score(r16, d16, 16000, pesq.Options{Mode: pesq.Wideband})
	if err != nil {
		return 0, fmt.Errorf("echo: pesq: %w", err)
	}
	return res.MOSLQO, nil
}
