package echolab

import (
	"math"
	"slices"
	"time"
)

// RMSdBFS is x's RMS level in dB relative to full scale (a full-scale square wave is 0 dBFS);
// -Inf for silence.
func RMSdBFS(x []float32) float64 {
	var e float64
	for _, v := range x {
		e += float64(v) * float64(v)
	}
	return 10 * math.Log10(e/float64(max(1, len(x))))
}

// ActiveLevelDBFS is the level of the speech in x, pauses left out: the mean power of the
// 10 ms frames within 40 dB of the loudest (a simple stand-in for ITU-T P.56's active level).
func ActiveLevelDBFS(x []float32) float64 {
	fr := samples(10 * time.Millisecond)
	var pw []float64
	peak := 0.0
	for i := 0; i+fr <= len(x); i += fr {
		var e float64
		for _, v := range x[i : i+fr] {
			e += float64(v) * float64(v)
		}
		e /= float64(fr)
		pw = append(pw, e)
		peak = max(peak, e)
	}
	var sum float64
	var k int
	for _, e := range pw {
		if e > 0 && e >= peak*1e-4 {
			sum += e
			k++
		}
	}
	if k == 0 {
		return math.Inf(-1)
	}
	return 10 * math.Log10(sum/float64(k))
}

func gain(x []float32, dB float64) {
	g := float32(math.Pow(10, dB/20))
	for i := range x {
		x[i] *= g
	}
}

func scaleTo(x []float32, dBFS float64) {
	if l := ActiveLevelDBFS(x); !math.IsInf(l, -1) {
		gain(x, dBFS-l)
	}
}

// ERLEPoint is the echo return loss enhancement over one window.
type ERLEPoint struct {
	At    time.Duration // the window's start
	DB    float64       // 10·log10(mic power / output power)
	Valid bool          // the window is far-end only with the far end talking (not a pause)
}

// ERLEWindow is the window of ERLE measurements.
const ERLEWindow = 100 * time.Millisecond

// ERLE measures the processor's output out (aligned sample for sample with s.Mic) window by
// window. Only windows inside a far-only segment whose echo is within 20 dB of its active
// level are Valid: there the microphone holds echo and noise alone.
func (s *Signals) ERLE(out []float32) []ERLEPoint {
	w := samples(ERLEWindow)
	thr := math.Pow(10, (s.EchoActiveDBFS-20)/10) * float64(w)
	var pts []ERLEPoint
	for i := 0; i+w <= len(s.Mic) && i+w <= len(out); i += w {
		var pm, po, pe float64
		for j := i; j < i+w; j++ {
			pm += float64(s.Mic[j]) * float64(s.Mic[j])
			po += float64(out[j]) * float64(out[j])
			pe += float64(s.Echo[j]) * float64(s.Echo[j])
		}
		at := time.Duration(i) * time.Second / SampleRateHz
		p := ERLEPoint{At: at, DB: 10 * math.Log10(pm/math.Max(po, 1e-20))}
		p.Valid = pe >= thr && s.kindOf(at, at+ERLEWindow) == FarOnly
		pts = append(pts, p)
	}
	return pts
}

// kindOf is the kind of the segment holding [a, b), or -1 when it straddles two.
func (s *Signals) kindOf(a, b time.Duration) Kind {
	for _, seg := range s.Segments {
		if a >= seg.Start && b <= seg.End {
			return seg.Kind
		}
	}
	return -1
}

// MedianERLE is the median of the valid points in [from, to); NaN when there are none.
func MedianERLE(pts []ERLEPoint, from, to time.Duration) float64 {
	var v []float64
	for _, p := range pts {
		if p.Valid && p.At >= from && p.At < to {
			v = append(v, p.DB)
		}
	}
	return Median(v)
}

// Median of v (NaN for none); v is not modified.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Cut concatenates the stretches of x inside the segments of kind: the double-talk audio to
// score with PESQ, for one.
func (s *Signals) Cut(x []float32, kind Kind) []float32 {
	var out []float32
	for _, seg := range s.Segments {
		if seg.Kind == kind {
			out = append(out, x[samples(seg.Start):min(len(x), samples(seg.End))]...)
		}
	}
	return out
}

// Processor is what Run drives: an echo canceller or noise suppressor taking the far end as
// played (AnalyzeReverse) and cleaning the microphone in place (ProcessCapture), 10 ms at a
// time. apm.Processor is one.
type Processor interface {
	AnalyzeReverse(frame []float32) error
	ProcessCapture(frame []float32) error
}

// Run plays far and mic through p 10 ms at a time, as a call would (the far-end frame first,
// then the microphone frame holding its echo), and returns the processed microphone signal
// (len(mic) rounded down to whole 10 ms frames). far may be nil (noise suppression alone).
func Run(p Processor, far, mic []float32) ([]float32, error) {
	fr := samples(10 * time.Millisecond)
	n := len(mic) / fr * fr
	out := make([]float32, n)
	copy(out, mic[:n])
	for i := 0; i < n; i += fr {
		if far != nil {
			if err := p.AnalyzeReverse(far[i : i+fr]); err != nil {
				return nil, err
			}
		}
		if err := p.ProcessCapture(out[i : i+fr]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
