package pesq

import (
	"fmt"
	"math"
	"sync"
)

// Mode selects the Recommendation a score follows.
type Mode int

const (
	// Narrowband is P.862 with the P.862.1 mapping; input at 8000 or 16000 Hz. It is the zero
	// value.
	Narrowband Mode = iota
	// Wideband is P.862.2; input at 16000 Hz.
	Wideband
)

// String returns "nb" or "wb".
func (m Mode) String() string {
	switch m {
	case Narrowband:
		return "nb"
	case Wideband:
		return "wb"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Variant selects the edition of the wideband input filter. The narrowband model is identical
// in both.
type Variant int

const (
	// Corrigendum2 applies P.862 Corrigendum 2 (03/2018): the wideband input filter's gain is
	// lowered by 12 dB (factor 0.251188). It is the zero value.
	Corrigendum2 Variant = iota
	// P862_2005 is the behaviour of P.862 with its 2005 amendments and P.862.2 as first
	// published, as used by most of the literature.
	P862_2005
)

// String returns "cor2" or "2005".
func (v Variant) String() string {
	switch v {
	case Corrigendum2:
		return "cor2"
	case P862_2005:
		return "2005"
	}
	return fmt.Sprintf("Variant(%d)", int(v))
}

// Options configure Score. The zero value scores narrowband with Corrigendum 2.
type Options struct {
	Mode    Mode
	Variant Variant
}

// Result is the outcome of one comparison.
type Result struct {
	Mode    Mode
	Variant Variant
	// Raw is the P.862 raw score (−0.5 … 4.5). For Wideband it is the model's raw output before
	// the P.862.2 mapping; the ITU reference program does not print it in that mode.
	Raw float64
	// MOSLQO is the mapped score: P.862.1 for Narrowband (1.02 … 4.55), P.862.2 for Wideband
	// (1.04 … 4.64).
	MOSLQO float64
	// Utterances are the aligned speech segments of the reference, in order.
	Utterances []Utterance
}

// Utterance is one aligned segment: where it lies in the reference and how late the degraded
// signal plays it.
type Utterance struct {
	StartSample, EndSample int     // in the reference, 0-based, end exclusive
	DelaySamples           int     // degraded minus reference position
	Confidence             float64 // the alignment histogram's peak weight
}

// Score compares the degraded signal deg with the reference ref, both mono at sampleRateHz and
// in full scale [-1, 1]. The signals may differ in length and deg may be delayed (also by
// varying amounts). It never panics; errors wrap the sentinels of errors.go. It is safe for
// concurrent use: each call borrows a Scorer from a pool, so repeated calls reuse memory.
func Score(ref, deg []float32, sampleRateHz int, opts Options) (Result, error) {
	s := scorers.Get().(*Scorer)
	defer scorers.Put(s)
	return s.Score(ref, deg, sampleRateHz, opts)
}

// ScoreInt16 is Score for 16-bit PCM samples.
func ScoreInt16(ref, deg []int16, sampleRateHz int, opts Options) (Result, error) {
	s := scorers.Get().(*Scorer)
	defer scorers.Put(s)
	return s.ScoreInt16(ref, deg, sampleRateHz, opts)
}

// scorers lends Scorers to Score and ScoreInt16.
var scorers = sync.Pool{New: func() any { return new(Scorer) }}

// Scorer scores pairs like Score, keeping its working memory (signals, spectra, FFT plans;
// about 2 MB per second of audio) from one call to the next, so that scoring many pairs
// allocates little. The zero value is ready to use. A Scorer is not safe for concurrent use;
// give each goroutine its own.
type Scorer struct {
	a        analysis
	ref, deg []float64
}

// Score is the package-level Score on s's memory.
func (s *Scorer) Score(ref, deg []float32, sampleRateHz int, opts Options) (Result, error) {
	r := grow(&s.ref, len(ref))
	d := grow(&s.deg, len(deg))
	for i, v := range ref {
		r[i] = float64(v) * 32768
	}
	for i, v := range deg {
		d[i] = float64(v) * 32768
	}
	return s.score(r, d, sampleRateHz, opts)
}

// ScoreInt16 is the package-level ScoreInt16 on s's memory.
func (s *Scorer) ScoreInt16(ref, deg []int16, sampleRateHz int, opts Options) (Result, error) {
	r := grow(&s.ref, len(ref))
	d := grow(&s.deg, len(deg))
	for i, v := range ref {
		r[i] = float64(v)
	}
	for i, v := range deg {
		d[i] = float64(v)
	}
	return s.score(r, d, sampleRateHz, opts)
}

// MapNarrowband maps a P.862 raw score to MOS-LQO (P.862.1).
func MapNarrowband(raw float64) float64 {
	return 0.999 + 4/(1+math.Exp(-1.4945*raw+4.6607))
}

// MapWideband maps the raw model output to wideband MOS-LQO (P.862.2).
func MapWideband(raw float64) float64 {
	return 0.999 + 4/(1+math.Exp(-1.3669*raw+3.8224))
}

func validate(ref, deg []float64, fs int, opts Options) error {
	switch opts.Mode {
	case Narrowband, Wideband:
	default:
		return fmt.Errorf("%w: mode %d", ErrOptions, int(opts.Mode))
	}
	switch opts.Variant {
	case Corrigendum2, P862_2005:
	default:
		return fmt.Errorf("%w: variant %d", ErrOptions, int(opts.Variant))
	}
	if fs != 8000 && fs != 16000 {
		return fmt.Errorf("%w: %d Hz", ErrSampleRate, fs)
	}
	if opts.Mode == Wideband && fs != 16000 {
		return fmt.Errorf("%w: got %d Hz", ErrWidebandRate, fs)
	}
	for _, sig := range []struct {
		name string
		x    []float64
	}{{"reference", ref}, {"degraded", deg}} {
		name, x := sig.name, sig.x
		if len(x) < fs/4 {
			return fmt.Errorf("%w: %s has %d samples at %d Hz", ErrTooShort, name, len(x), fs)
		}
		for i, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: %s sample %d", ErrNonFinite, name, i)
			}
		}
	}
	return nil
}

func (s *Scorer) score(ref, deg []float64, fs int, opts Options) (Result, error) {
	if err := validate(ref, deg, fs, opts); err != nil {
		return Result{}, err
	}
	a := &s.a
	a.reset(fs, opts, len(ref), len(deg))
	if err := a.prepare(ref, deg); err != nil {
		return Result{}, err
	}
	if err := a.locateUtterances(); err != nil {
		return Result{}, err
	}
	raw := a.perceptualModel()
	res := Result{Mode: opts.Mode, Variant: opts.Variant, Raw: raw}
	if opts.Mode == Wideband {
		res.MOSLQO = MapWideband(raw)
	} else {
		res.MOSLQO = MapNarrowband(raw)
	}
	off := searchBuffer * a.down
	for _, u := range a.utts {
		res.Utterances = append(res.Utterances, Utterance{
			StartSample:  max(0, u.start*a.down-off),
			EndSample:    max(0, u.end*a.down-off),
			DelaySamples: u.delay,
			Confidence:   u.conf,
		})
	}
	return res, nil
}
