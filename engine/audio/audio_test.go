package audio

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"testing"

	"github.com/parley-voice/parley/codec"
)

func TestToneAndSilence(t *testing.T) {
	tone := &Tone{FrequencyHz: 1000, Amplitude: 0.5}
	p := make([]float32, SampleRateHz) // 1 s
	if n, err := tone.Read(p); n != len(p) || err != nil {
		t.Fatalf("tone read %d, %v", n, err)
	}
	var sum float64
	for _, v := range p {
		sum += float64(v) * float64(v)
	}
	if rms := math.Sqrt(sum / float64(len(p))); math.Abs(rms-0.5/math.Sqrt2) > 0.01 {
		t.Errorf("tone rms %.3f, want %.3f", rms, 0.5/math.Sqrt2)
	}
	if n, err := (Silence{}).Read(p); n != len(p) || err != nil || p[100] != 0 {
		t.Fatalf("silence read %d, %v, sample %v", n, err, p[100])
	}
}

func TestSamplesEOF(t *testing.T) {
	s := &Samples{Audio: []float32{1, 2, 3}}
	p := make([]float32, 2)
	if n, err := s.Read(p); n != 2 || err != nil {
		t.Fatalf("first read %d, %v", n, err)
	}
	if n, err := s.Read(p); n != 1 || !errors.Is(err, io.EOF) || !s.Done() {
		t.Fatalf("second read %d, %v", n, err)
	}
}

func TestWAVRoundTrip(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.wav")
	// 0.5 s at 16 kHz: OpenWAV must resample it to 48 kHz.
	x := make([]float32, 8000)
	for i := range x {
		x[i] = float32(0.3 * math.Sin(2*math.Pi*440*float64(i)/16000))
	}
	if err := codec.WriteWAVFile(in, codec.Audio{SampleRateHz: 16000, Samples: x}, codec.WAVFloat32); err != nil {
		t.Fatal(err)
	}
	src, err := OpenWAV(in, false)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.wav")
	w := NewWAVWriter(out, 0)
	buf := make([]float32, 480)
	total := 0
	for {
		n, err := src.Read(buf)
		total += n
		if n > 0 {
			if err := w.Write(buf[:n]); err != nil {
				t.Fatal(err)
			}
		}
		if err != nil {
			break
		}
	}
	if total != 24000 {
		t.Errorf("read %d samples at 48 kHz, want 24000", total)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	a, err := codec.ReadWAVFile(out)
	if err != nil || a.SampleRateHz != SampleRateHz || len(a.Samples) != 24000 {
		t.Fatalf("recorded %d Hz, %d samples, %v", a.SampleRateHz, len(a.Samples), err)
	}
	if _, err := OpenWAV(filepath.Join(dir, "missing.wav"), false); !errors.Is(err, ErrFormat) {
		t.Errorf("missing file: %v, want ErrFormat", err)
	}
	loop, err := OpenWAV(in, true)
	if err != nil {
		t.Fatal(err)
	}
	long := make([]float32, 100000)
	if n, err := loop.Read(long); n != len(long) || err != nil {
		t.Errorf("looping read %d, %v", n, err)
	}
}

func TestRecorderMax(t *testing.T) {
	r := &Recorder{Max: 5}
	_ = r.Write([]float32{1, 2, 3})
	_ = r.Write([]float32{4, 5, 6})
	if got := r.Audio(); len(got) != 5 || got[4] != 5 {
		t.Fatalf("recorded %v", got)
	}
}

// Example plays a tone into a recorder, the way a call would pull a source and push a sink.
func Example() {
	src := &Tone{FrequencyHz: 440, Amplitude: 0.1}
	sink := &Recorder{}
	frame := make([]float32, SampleRateHz/50) // 20 ms
	for range 50 {
		n, _ := src.Read(frame)
		_ = sink.Write(frame[:n])
	}
	fmt.Println(len(sink.Audio()), "samples recorded")
	// Output: 48000 samples recorded
}
