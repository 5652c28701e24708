package codec

import (
	"errors"
	"math"
	"testing"
)

func sine(hz, rate int, n int, amp float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(amp * math.Sin(2*math.Pi*float64(hz)*float64(i)/float64(rate)))
	}
	return x
}

func rms(x []float32) float64 { return math.Sqrt(energy(x) / float64(len(x))) }

func TestResampleKeepsInBandTone(t *testing.T) {
	for _, c := range []struct{ from, to int }{{16000, 48000}, {48000, 16000}, {44100, 48000}, {8000, 16000}, {22050, 8000}} {
		x := sine(1000, c.from, c.from, 0.5) // 1 s of 1 kHz
		y, err := Resample(x, c.from, c.to)
		if err != nil {
			t.Fatal(err)
		}
		if want := (len(x)*c.to + c.from - 1) / c.from; len(y) != want {
			t.Fatalf("%d->%d: %d samples, want %d", c.from, c.to, len(y), want)
		}
		ref := sine(1000, c.to, len(y), 0.5)
		// Compare away from the edges, where the filter sees zero padding.
		edge := c.to / 50
		if s := snrDB(ref[edge:len(ref)-edge], y[edge:len(y)-edge]); s < 60 {
			t.Errorf("%d->%d: 1 kHz tone SNR %.1f dB, want >= 60 (band-limited interpolation)", c.from, c.to, s)
		}
	}
}

func TestResampleRejectsAliases(t *testing.T) {
	// A 12 kHz tone at 48 kHz has no place at 16 kHz (Nyquist 8 kHz): sample dropping would fold
	// it to 4 kHz at full level; a band-limited resampler removes it.
	x := sine(12000, 48000, 48000, 0.5)
	y, err := Resample(x, 48000, 16000)
	if err != nil {
		t.Fatal(err)
	}
	if r := rms(y[200 : len(y)-200]); r > 0.5/math.Sqrt2*1e-3 {
		t.Fatalf("aliased 12 kHz tone left RMS %.2e, want at least 60 dB down", r)
	}
}

func TestResampleErrors(t *testing.T) {
	if _, err := Resample([]float32{1}, 4000, 16000); !errors.Is(err, ErrSampleRate) {
		t.Fatalf("got %v, want ErrSampleRate", err)
	}
	y, err := Resample([]float32{1, 2}, 16000, 16000)
	if err != nil || len(y) != 2 {
		t.Fatalf("identity: %v %v", y, err)
	}
}
