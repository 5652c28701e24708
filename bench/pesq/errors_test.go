package pesq

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestErrors(t *testing.T) {
	clip := codec2Speech(t)[:16000]
	nan := append([]float32(nil), clip...)
	nan[100] = float32(math.NaN())
	inf := append([]float32(nil), clip...)
	inf[200] = float32(math.Inf(-1))
	silent := make([]float32, 16000)
	cases := []struct {
		name     string
		ref, deg []float32
		fs       int
		opts     Options
		want     error
	}{
		{"rate 44100", clip, clip, 44100, Options{}, ErrSampleRate},
		{"rate 0", clip, clip, 0, Options{}, ErrSampleRate},
		{"wideband at 8 kHz", clip, clip, 8000, Options{Mode: Wideband}, ErrWidebandRate},
		{"short reference", clip[:3999], clip, 16000, Options{}, ErrTooShort},
		{"short degraded", clip, clip[:100], 16000, Options{}, ErrTooShort},
		{"empty", nil, nil, 16000, Options{}, ErrTooShort},
		{"NaN", clip, nan, 16000, Options{}, ErrNonFinite},
		{"Inf", inf, clip, 16000, Options{Mode: Wideband}, ErrNonFinite},
		{"silent reference", silent, clip, 16000, Options{}, ErrNoSpeech},
		{"silent degraded", clip, silent, 16000, Options{Mode: Wideband}, ErrNoSpeech},
		{"bad mode", clip, clip, 16000, Options{Mode: 7}, ErrOptions},
		{"bad variant", clip, clip, 16000, Options{Variant: -1}, ErrOptions},
	}
	for _, c := range cases {
		_, err := Score(c.ref, c.deg, c.fs, c.opts)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), "pesq: ") {
			t.Errorf("%s: message %q lacks the pesq: prefix", c.name, err)
		}
	}
	// Exactly 1/4 s is long enough.
	if _, err := Score(clip[:4000], clip[:4000], 16000, Options{}); errors.Is(err, ErrTooShort) {
		t.Errorf("1/4 s rejected: %v", err)
	}
}
