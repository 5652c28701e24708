package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadRealSpeech(t *testing.T) {
	a, err := ReadWAVFile(speechPath)
	if err != nil {
		t.Fatal(err)
	}
	if a.SampleRateHz != 16000 {
		t.Fatalf("rate %d, want 16000", a.SampleRateHz)
	}
	if d := a.Duration().Seconds(); d < 5 || d > 20 {
		t.Fatalf("duration %.2f s, want a sentence of 5-20 s", d)
	}
	if rms := math.Sqrt(energy(a.Samples) / float64(len(a.Samples))); rms < 0.005 || rms > 0.5 {
		t.Fatalf("RMS %.4f is not speech level", rms)
	}
}

func TestWAVRoundTrip(t *testing.T) {
	src := Audio{SampleRateHz: 16000, Samples: []float32{0, 0.5, -0.5, 0.25, -1, 0.999}}
	for _, format := range []WAVFormat{WAVPCM16, WAVFloat32} {
		path := filepath.Join(t.TempDir(), "x.wav")
		if err := WriteWAVFile(path, src, format); err != nil {
			t.Fatal(err)
		}
		got, err := ReadWAVFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.SampleRateHz != src.SampleRateHz || len(got.Samples) != len(src.Samples) {
			t.Fatalf("format %d: got %d Hz %d samples", format, got.SampleRateHz, len(got.Samples))
		}
		tol := 1.0 / 32768
		if format == WAVFloat32 {
			tol = 0
		}
		for i := range src.Samples {
			if d := math.Abs(float64(got.Samples[i] - src.Samples[i])); d > tol {
				t.Fatalf("format %d sample %d: got %v want %v", format, i, got.Samples[i], src.Samples[i])
			}
		}
	}
}

// wavBytes builds a WAV by hand so the reader is tested against files it did not write.
func wavBytes(tag uint16, channels, rate, bits int, extra []byte, data []byte) []byte {
	le := binary.LittleEndian
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, le, uint32(0))
	b.WriteString("WAVE")
	b.WriteString("LIST") // a chunk the reader must skip, odd-sized to exercise padding
	binary.Write(&b, le, uint32(3))
	b.Write([]byte{1, 2, 3, 0})
	fmtChunk := make([]byte, 16)
	le.PutUint16(fmtChunk[0:], tag)
	le.PutUint16(fmtChunk[2:], uint16(channels))
	le.PutUint32(fmtChunk[4:], uint32(rate))
	le.PutUint32(fmtChunk[8:], uint32(rate*channels*bits/8))
	le.PutUint16(fmtChunk[12:], uint16(channels*bits/8))
	le.PutUint16(fmtChunk[14:], uint16(bits))
	fmtChunk = append(fmtChunk, extra...)
	b.WriteString("fmt ")
	binary.Write(&b, le, uint32(len(fmtChunk)))
	b.Write(fmtChunk)
	b.WriteString("data")
	binary.Write(&b, le, uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

func TestReadWAVFormats(t *testing.T) {
	le := binary.LittleEndian
	// Stereo 16-bit: left 0.5, right -0.25 → mono 0.125.
	st := make([]byte, 4)
	le.PutUint16(st[0:], uint16(16384))
	le.PutUint16(st[2:], uint16(0xE000)) // -8192
	// 24-bit mono: 0x400000 = 0.5.
	s24 := []byte{0x00, 0x00, 0x40}
	// 8-bit unsigned: 192 = +0.5.
	s8 := []byte{192}
	// float64: -0.75.
	f64 := make([]byte, 8)
	le.PutUint64(f64, math.Float64bits(-0.75))
	// EXTENSIBLE float32 0.25 (cbSize 22, valid bits, mask, GUID starting 03 00).
	ext := make([]byte, 24)
	le.PutUint16(ext[0:], 22)
	le.PutUint16(ext[2:], 32)
	le.PutUint16(ext[8:], wavTagFloat)
	f32 := make([]byte, 4)
	le.PutUint32(f32, math.Float32bits(0.25))

	cases := []struct {
		name string
		wav  []byte
		want float32
		rate int
	}{
		{"stereo16", wavBytes(wavTagPCM, 2, 48000, 16, nil, st), 0.125, 48000},
		{"mono24", wavBytes(wavTagPCM, 1, 8000, 24, nil, s24), 0.5, 8000},
		{"mono8", wavBytes(wavTagPCM, 1, 11025, 8, nil, s8), 0.5, 11025},
		{"float64", wavBytes(wavTagFloat, 1, 16000, 64, nil, f64), -0.75, 16000},
		{"extensible", wavBytes(wavTagExtensible, 1, 32000, 32, ext, f32), 0.25, 32000},
	}
	for _, c := range cases {
		a, err := ReadWAV(bytes.NewReader(c.wav))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if a.SampleRateHz != c.rate || len(a.Samples) != 1 || math.Abs(float64(a.Samples[0]-c.want)) > 1e-6 {
			t.Fatalf("%s: got %d Hz %v, want %d Hz [%v]", c.name, a.SampleRateHz, a.Samples, c.rate, c.want)
		}
	}
}

func TestReadWAVErrors(t *testing.T) {
	good := wavBytes(wavTagPCM, 1, 16000, 16, nil, []byte{1, 0, 2, 0})
	cases := []struct {
		name, want string
		wav        []byte
	}{
		{"empty", "RIFF header", nil},
		{"not riff", "not a RIFF", append([]byte("RIFX"), good[4:]...)},
		{"not wave", "not WAVE", append(append([]byte{}, good[:8]...), append([]byte("AVI "), good[12:]...)...)},
		{"rate", "sample rate 4000", wavBytes(wavTagPCM, 1, 4000, 16, nil, []byte{0, 0})},
		{"rate high", "sample rate 96000", wavBytes(wavTagPCM, 1, 96000, 16, nil, []byte{0, 0})},
		{"channels", "0 channels", wavBytes(wavTagPCM, 0, 16000, 16, nil, nil)},
		{"bits", "12-bit", wavBytes(wavTagPCM, 1, 16000, 12, nil, []byte{0, 0})},
		{"codec", "format tag 0x0055", wavBytes(0x55, 1, 16000, 16, nil, []byte{0, 0})},
		{"truncated", "truncated", good[:len(good)-1]},
		{"partial frame", "whole number", wavBytes(wavTagPCM, 1, 16000, 16, nil, []byte{1, 2, 3})},
		{"no data", "no data chunk", good[:len(good)-12]},
		{"nan", "NaN", wavBytes(wavTagFloat, 1, 16000, 32, nil, []byte{0, 0, 0xc0, 0x7f})},
	}
	for _, c := range cases {
		_, err := ReadWAV(bytes.NewReader(c.wav))
		if !errors.Is(err, ErrWAV) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want ErrWAV mentioning %q", c.name, err, c.want)
		}
	}
}

func TestWriteWAVErrors(t *testing.T) {
	if err := WriteWAV(&bytes.Buffer{}, Audio{SampleRateHz: 1000}, WAVPCM16); !errors.Is(err, ErrSampleRate) {
		t.Fatalf("got %v, want ErrSampleRate", err)
	}
}

func FuzzReadWAV(f *testing.F) {
	f.Add(wavBytes(wavTagPCM, 1, 16000, 16, nil, []byte{1, 0, 2, 0}))
	f.Add(wavBytes(wavTagPCM, 2, 48000, 24, nil, []byte{1, 0, 2, 0, 3, 4}))
	f.Add(wavBytes(wavTagFloat, 1, 8000, 32, nil, []byte{0, 0, 0x80, 0x3f}))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ReadWAV(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrWAV) {
				t.Fatalf("error does not wrap ErrWAV: %v", err)
			}
			return
		}
		if a.SampleRateHz < MinSampleRateHz || a.SampleRateHz > MaxSampleRateHz {
			t.Fatalf("accepted rate %d", a.SampleRateHz)
		}
		// Whatever was read must survive a write and re-read at 32-bit float exactly.
		var buf bytes.Buffer
		if err := WriteWAV(&buf, a, WAVFloat32); err != nil {
			t.Fatal(err)
		}
		b2, err := ReadWAV(&buf)
		if err != nil || len(b2.Samples) != len(a.Samples) {
			t.Fatalf("re-read: %v (%d vs %d samples)", err, len(b2.Samples), len(a.Samples))
		}
	})
}
