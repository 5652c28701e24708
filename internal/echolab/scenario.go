package echolab

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Path is an acoustic echo path: the far end's voice leaves the loudspeaker and reaches the
// microphone Delay later (playout and capture buffering plus the direct path), followed by a
// room's reverberation decaying by 60 dB in RT60.
type Path struct {
	Name  string
	Delay time.Duration // 0 to 500 ms
	RT60  time.Duration // 0 (a single reflection-free tap) to 1 s
}

// Paths are the echo paths the bench and tests use: a small room close to the microphone, an
// office, and a long, reverberant path.
var Paths = []Path{
	{Name: "20ms-rt100", Delay: 20 * time.Millisecond, RT60: 100 * time.Millisecond},
	{Name: "60ms-rt200", Delay: 60 * time.Millisecond, RT60: 200 * time.Millisecond},
	{Name: "120ms-rt300", Delay: 120 * time.Millisecond, RT60: 300 * time.Millisecond},
}

// NoiseKind is the noise at the microphone.
type NoiseKind int

// Noise kinds. The zero value is white noise.
const (
	NoiseWhite  NoiseKind = iota // Gaussian, flat spectrum
	NoiseBabble                  // six voices talking over each other
)

func (k NoiseKind) String() string {
	switch k {
	case NoiseWhite:
		return "white"
	case NoiseBabble:
		return "babble"
	}
	return fmt.Sprintf("NoiseKind(%d)", int(k))
}

// Default levels: speech at -26 dBFS active level (the ITU-T P.56 convention for a nominal
// level), echo as loud as the near-end talker (0 dB signal-to-echo ratio, a hard hands-free
// case), noise 40 dB below speech (a quiet room and a microphone's self-noise).
const (
	DefaultSpeechDBFS = -26
	DefaultEchoDBFS   = -26
	DefaultNoiseDBFS  = -66
)

// Scenario is one echo test. The zero value of every level takes its default. Build is
// deterministic for a given Scenario.
type Scenario struct {
	Far, Near Talker
	Babble    []Talker // the voices of NoiseBabble (Talkers.Babble)
	Path      Path
	Noise     NoiseKind
	// Levels in dBFS (active speech level; the noise's RMS). Zero means the default.
	SpeechDBFS, EchoDBFS, NoiseDBFS float64
	// DelayChange is a fraction of Path.Delay added to the echo delay at ChangeAt (0.1 is a
	// 10 % longer delay from then on; the change is abrupt).
	DelayChange float64
	// DriftPPM is how much faster the capture clock runs than the playout clock, in parts per
	// million (negative: slower); -1000 to 1000.
	DriftPPM float64
	Seed     uint64
}

// Kind says who is talking in a segment.
type Kind int

// Segment kinds.
const (
	FarOnly Kind = iota
	DoubleTalk
	NearOnly
)

func (k Kind) String() string {
	switch k {
	case FarOnly:
		return "far-only"
	case DoubleTalk:
		return "double-talk"
	case NearOnly:
		return "near-only"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Segment is a stretch of the scenario with one Kind of talk.
type Segment struct {
	Start, End time.Duration
	Kind       Kind
}

// Schedule is every scenario's timeline: 18 s, the far end talking from the start (the
// canceller converges in the first 2 s), double talk twice, the near end alone once.
var Schedule = []Segment{
	{0, 5 * time.Second, FarOnly},
	{5 * time.Second, 8 * time.Second, DoubleTalk},
	{8 * time.Second, 11 * time.Second, FarOnly},
	{11 * time.Second, 14 * time.Second, DoubleTalk},
	{14 * time.Second, 16 * time.Second, NearOnly},
	{16 * time.Second, 18 * time.Second, FarOnly},
}

// ChangeAt is when a Scenario's DelayChange takes effect: mid-run, in a far-only segment.
const ChangeAt = 9 * time.Second

// Signals are a built scenario: what the processor is fed (Far as the reverse stream, Mic as
// the capture stream) and the components of Mic (Mic = Echo + Near + Noise, sample for
// sample), all the same length.
type Signals struct {
	Far, Mic, Echo, Near, Noise []float32
	Segments                    []Segment
	// EchoActiveDBFS is the echo's active level; windows quieter than it by more than 20 dB are
	// far-end pauses and count for no ERLE.
	EchoActiveDBFS float64
}

func samples(d time.Duration) int { return int(d * SampleRateHz / time.Second) }

func (s Scenario) validate() error {
	switch {
	case len(s.Far.Speech) == 0 || len(s.Near.Speech) == 0:
		return fmt.Errorf("%w: far and near talkers need speech", ErrScenario)
	case s.Path.Delay < 0 || s.Path.Delay > 500*time.Millisecond:
		return fmt.Errorf("%w: echo delay %v (0 to 500 ms)", ErrScenario, s.Path.Delay)
	case s.Path.RT60 < 0 || s.Path.RT60 > time.Second:
		return fmt.Errorf("%w: RT60 %v (0 to 1 s)", ErrScenario, s.Path.RT60)
	case math.Abs(s.DriftPPM) > 1000:
		return fmt.Errorf("%w: drift %v ppm (-1000 to 1000)", ErrScenario, s.DriftPPM)
	case s.DelayChange < -0.5 || s.DelayChange > 1:
		return fmt.Errorf("%w: delay change %v (-0.5 to 1)", ErrScenario, s.DelayChange)
	case s.Noise == NoiseBabble && len(s.Babble) == 0:
		return fmt.Errorf("%w: babble noise needs babble talkers", ErrScenario)
	}
	return nil
}

func orDefault(v, d float64) float64 {
	if v == 0 {
		return d
	}
	return v
}

// Build renders the scenario.
func (s Scenario) Build() (*Signals, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	n := samples(Schedule[len(Schedule)-1].End)
	rng := rand.New(rand.NewPCG(s.Seed, 0x6563686f6c6162)) // "echolab"

	// The far end: its talker looped, silent in near-only segments, at the speech level.
	far := loop(s.Far.Speech, n, 0)
	near := make([]float32, n)
	nearSrc := 0
	for _, seg := range Schedule {
		a, b := samples(seg.Start), samples(seg.End)
		if seg.Kind == NearOnly {
			clear(far[a:b])
		}
		if seg.Kind != FarOnly {
			for i := a; i < b; i++ {
				near[i] = s.Near.Speech[nearSrc%len(s.Near.Speech)]
				nearSrc++
			}
		}
	}
	fades(far, near)
	scaleTo(far, orDefault(s.SpeechDBFS, DefaultSpeechDBFS))
	scaleTo(near, orDefault(s.SpeechDBFS, DefaultSpeechDBFS))

	// The echo: far ⊛ room response, delayed (with the change) and resampled by the drift.
	room := convolve(far, roomResponse(s.Path.RT60, rng))
	echoLevel := orDefault(s.EchoDBFS, DefaultEchoDBFS)
	scaleTo(room, echoLevel)
	echo := make([]float32, n)
	d1 := float64(s.Path.Delay) / float64(time.Second) * SampleRateHz
	d2 := d1 * (1 + s.DelayChange)
	change := samples(ChangeAt)
	ratio := 1 / (1 + s.DriftPPM*1e-6) // playout samples per capture sample
	for i := range echo {
		d := d1
		if i >= change {
			d = d2
		}
		if t := float64(i)*ratio - d; t == math.Trunc(t) {
			if k := int(t); k >= 0 && k < len(room) { // on a sample: no interpolation
				echo[i] = room[k]
			}
		} else {
			echo[i] = cubic(room, t)
		}
	}

	noise := Noise(s.Noise, n, orDefault(s.NoiseDBFS, DefaultNoiseDBFS), s.Babble, rng.Uint64())
	mic := make([]float32, n)
	for i := range mic {
		mic[i] = echo[i] + near[i] + noise[i]
	}
	return &Signals{Far: far, Mic: mic, Echo: echo, Near: near, Noise: noise,
		Segments: Schedule, EchoActiveDBFS: echoLevel}, nil
}

// loop repeats src from offset into a new slice of n samples.
func loop(src []float32, n, offset int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = src[(i+offset)%len(src)]
	}
	return out
}

// fades ramps every segment boundary of the schedule over 10 ms so that no cut clicks.
func fades(sigs ...[]float32) {
	ramp := samples(10 * time.Millisecond)
	for _, seg := range Schedule[1:] {
		c := samples(seg.Start)
		for _, x := range sigs {
			for i := -ramp; i < ramp; i++ {
				if j := c + i; j >= 0 && j < len(x) {
					x[j] *= float32(math.Abs(float64(i)) / float64(ramp))
				}
			}
		}
	}
}

// roomResponse is a synthetic room: a direct tap and exponentially decaying Gaussian
// reflections (-60 dB at rt60), with the reverberant energy equal to the direct sound's.
func roomResponse(rt60 time.Duration, rng *rand.Rand) []float64 {
	n := samples(rt60)
	h := make([]float64, max(1, n))
	h[0] = 1
	if n < 2 {
		return h
	}
	var e float64
	tau := float64(n) / (3 * math.Ln10) // amplitude falls by 10^-3 over n
	for i := 1; i < n; i++ {
		h[i] = rng.NormFloat64() * math.Exp(-float64(i)/tau)
		e += h[i] * h[i]
	}
	g := 1 / math.Sqrt(e)
	for i := 1; i < n; i++ {
		h[i] *= g
	}
	return h
}

// convolve returns x ⊛ h truncated to len(x), through one FFT.
func convolve(x []float32, h []float64) []float32 {
	size := 1
	for size < len(x)+len(h) {
		size *= 2
	}
	fft := fourier.NewFFT(size)
	xa := make([]float64, size)
	for i, v := range x {
		xa[i] = float64(v)
	}
	ha := make([]float64, size)
	copy(ha, h)
	X := fft.Coefficients(nil, xa)
	H := fft.Coefficients(nil, ha)
	for i := range X {
		X[i] *= H[i]
	}
	y := fft.Sequence(nil, X)
	out := make([]float32, len(x))
	for i := range out {
		out[i] = float32(y[i] / float64(size))
	}
	return out
}

// cubic interpolates x at fractional position t (Catmull–Rom); zero outside x.
func cubic(x []float32, t float64) float32 {
	i := int(math.Floor(t))
	f := t - float64(i)
	at := func(k int) float64 {
		if k < 0 || k >= len(x) {
			return 0
		}
		return float64(x[k])
	}
	p0, p1, p2, p3 := at(i-1), at(i), at(i+1), at(i+2)
	return float32(p1 + 0.5*f*(p2-p0+f*(2*p0-5*p1+4*p2-p3+f*(3*(p1-p2)+p3-p0))))
}
