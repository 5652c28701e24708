package audio

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/parley-voice/parley/codec"
)

func tone10ms(k int) []float32 {
	p := make([]float32, 480)
	for i := range p {
		p[i] = float32(0.25 * math.Sin(2*math.Pi*440*float64(k*480+i)/SampleRateHz))
	}
	return p
}

// TestWAVWriterStreams: the file is playable while the call is still going (as a killed
// process leaves it), complete after Close, and absent when nothing was recorded.
func TestWAVWriterStreams(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rec.wav")
	w := NewWAVWriter(path, 0)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a writer that recorded nothing left %s (%v)", path, err)
	}
	if err := w.Write(tone10ms(0)); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}

	w = NewWAVWriter(path, 0)
	for k := range 250 { // 2.5 s
		if err := w.Write(tone10ms(k)); err != nil {
			t.Fatal(err)
		}
	}
	// Not closed: what a crash leaves. The header counts every full second written.
	a, err := codec.ReadWAVFile(path)
	if err != nil {
		t.Fatalf("recording in progress is not a valid WAV: %v", err)
	}
	if len(a.Samples) < 2*SampleRateHz || len(a.Samples) > w.Samples() {
		t.Errorf("in progress: the file holds %d samples, want 2 s to %d", len(a.Samples), w.Samples())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if a, err = codec.ReadWAVFile(path); err != nil || len(a.Samples) != 250*480 {
		t.Errorf("after Flush: %d samples, %v; want %d", len(a.Samples), err, 250*480)
	}
	for k := 250; k < 300; k++ {
		_ = w.Write(tone10ms(k))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	a, err = codec.ReadWAVFile(path)
	if err != nil || a.SampleRateHz != SampleRateHz || len(a.Samples) != 300*480 {
		t.Fatalf("closed: %d Hz, %d samples, %v", a.SampleRateHz, len(a.Samples), err)
	}
	want := tone10ms(299)
	got := a.Samples[299*480:]
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1.0/32768+1e-6 {
			t.Fatalf("sample %d: %v, want %v", i, got[i], want[i])
		}
	}
}

func TestWAVStreamToPipe(t *testing.T) {
	var buf bytes.Buffer
	w := NewWAVStream(&buf, 1000)
	for k := range 3 {
		if err := w.Write(tone10ms(k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := buf.Bytes()[40:44]; !bytes.Equal(got, []byte{0xff, 0xff, 0xff, 0xff}) {
		t.Errorf("a stream's data size is % x, want ff ff ff ff (unknown)", got)
	}
	a, err := codec.ReadWAV(&buf)
	if err != nil || len(a.Samples) != 1000 {
		t.Fatalf("stream: %d samples (max 1000), %v", len(a.Samples), err)
	}

	// A regular file given as a stream (stdout redirected to a file) gets a real header.
	f, err := os.Create(filepath.Join(t.TempDir(), "out.wav"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w = NewWAVStream(f, 0)
	_ = w.Write(tone10ms(0))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if a, err := codec.ReadWAVFile(f.Name()); err != nil || len(a.Samples) != 480 {
		t.Errorf("stream to a file: %d samples, %v", len(a.Samples), err)
	}
}

func TestWAVWriterBadPath(t *testing.T) {
	w := NewWAVWriter(filepath.Join(t.TempDir(), "no", "such", "dir.wav"), 0)
	err := w.Write(tone10ms(0))
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("dir.wav")) {
		t.Errorf("recording into a missing directory: %v, want an error naming the file", err)
	}
	if err2 := w.Close(); err2 == nil {
		t.Error("Close after a failed start returned nil")
	}
}

func TestWAVWriterWriteAllocs(t *testing.T) {
	w := NewWAVWriter(filepath.Join(t.TempDir(), "a.wav"), 0)
	defer w.Close()
	p := tone10ms(0)
	_ = w.Write(p)
	if n := testing.AllocsPerRun(500, func() { _ = w.Write(p) }); n != 0 {
		t.Errorf("Write allocates %.1f times per 10 ms", n)
	}
}

func BenchmarkWAVWriterWrite(b *testing.B) {
	w := NewWAVWriter(filepath.Join(b.TempDir(), "a.wav"), 0)
	defer w.Close()
	p := tone10ms(0)
	b.ReportAllocs()
	for b.Loop() {
		_ = w.Write(p)
	}
}

// TestStreamWAV: a 48 kHz stream plays as it arrives; another rate is resampled.
func TestStreamWAV(t *testing.T) {
	pr, pw := io.Pipe()
	src, errc := make(chan Source, 1), make(chan error, 1)
	go func() {
		s, err := StreamWAV(pr)
		src <- s
		errc <- err
	}()
	w := NewWAVStream(pw, 0) // writes the "size unknown" header a pipe gets
	more := make(chan struct{})
	go func() {
		_ = w.Write(tone10ms(0))
		_ = w.Flush() // an io.Pipe write returns once read
		<-more
		_ = w.Write(tone10ms(1))
		_ = w.Close()
		_ = pw.Close()
	}()
	s := <-src
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	// The writer has not finished: the first 10 ms are readable already.
	p := make([]float32, 480)
	if n, err := s.Read(p); n != 480 || err != nil {
		t.Fatalf("first 10 ms of a live stream: %d, %v", n, err)
	}
	close(more)
	if n, err := s.Read(p); n != 480 || err != nil {
		t.Fatalf("next 10 ms: %d, %v", n, err)
	}
	if n, err := s.Read(p); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("after the writer closed: %d, %v", n, err)
	}

	var buf bytes.Buffer
	if err := codec.WriteWAV(&buf, codec.Audio{SampleRateHz: 16000, Samples: make([]float32, 1600)}, codec.WAVPCM16); err != nil {
		t.Fatal(err)
	}
	s, err := StreamWAV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]float32, 10000)
	if n, _ := s.Read(big); n != 4800 {
		t.Errorf("0.1 s at 16 kHz played %d samples at 48 kHz, want 4800", n)
	}
	if _, err := StreamWAV(bytes.NewReader([]byte("not a wav file"))); !errors.Is(err, ErrFormat) {
		t.Errorf("bad stream: %v, want ErrFormat", err)
	}
}
