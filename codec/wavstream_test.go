package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// TestWAVStream: samples come out as ReadWAV gives them, for a sized file and for a stream
// that runs to its end, read in pieces.
func TestWAVStream(t *testing.T) {
	x := make([]float32, 1000)
	for i := range x {
		x[i] = float32(i%200-100) / 200
	}
	var buf bytes.Buffer
	if err := WriteWAV(&buf, Audio{SampleRateHz: 48000, Samples: x}, WAVPCM16); err != nil {
		t.Fatal(err)
	}
	want, err := ReadWAV(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []uint32{uint32(2 * len(x)), 0x7FFFF000} {
		b := bytes.Clone(buf.Bytes())
		binary.LittleEndian.PutUint32(b[40:44], size)
		s, err := NewWAVStream(bytes.NewReader(b))
		if err != nil || s.SampleRateHz() != 48000 {
			t.Fatalf("size %#x: %v, %d Hz", size, err, s.SampleRateHz())
		}
		var got []float32
		p := make([]float32, 480)
		for {
			n, err := s.Read(p)
			got = append(got, p[:n]...)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if len(got) != len(want.Samples) {
			t.Fatalf("size %#x: %d samples, want %d", size, len(got), len(want.Samples))
		}
		for i := range got {
			if got[i] != want.Samples[i] {
				t.Fatalf("size %#x: sample %d = %v, want %v", size, i, got[i], want.Samples[i])
			}
		}
		if n, err := s.Read(p); n != 0 || !errors.Is(err, io.EOF) {
			t.Errorf("after the end: %d, %v", n, err)
		}
	}
	if _, err := NewWAVStream(bytes.NewReader([]byte("RIFF...."))); !errors.Is(err, ErrWAV) {
		t.Errorf("bad header: %v, want ErrWAV", err)
	}
}

func FuzzWAVStream(f *testing.F) {
	var buf bytes.Buffer
	_ = WriteWAV(&buf, Audio{SampleRateHz: 16000, Samples: make([]float32, 100)}, WAVFloat32)
	f.Add(buf.Bytes())
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVE"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := NewWAVStream(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrWAV) {
				t.Fatalf("header error %v does not wrap ErrWAV", err)
			}
			return
		}
		p := make([]float32, 64)
		for range 1000 {
			n, err := s.Read(p)
			if n < 0 || n > len(p) {
				t.Fatalf("Read returned %d", n)
			}
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, ErrWAV) {
					t.Fatalf("Read error %v", err)
				}
				return
			}
		}
	})
}
