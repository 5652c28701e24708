package audio

import (
	"io"
	"math"
	"sync"
)

// SampleRateHz is the rate of every Source and Sink: the call path runs at 48 kHz mono.
const SampleRateHz = 48000

// Source produces the audio a call sends. Read fills p with the next len(p) samples (48 kHz
// mono, [-1, 1]) and returns how many it wrote. A short count comes only with an error;
// io.EOF says the source is exhausted (the engine then sends silence). Read is called from one
// goroutine at a time, at the pace of the sending clock; it should not block for long.
type Source interface {
	Read(p []float32) (int, error)
}

// Sink consumes the audio a call plays. Write receives the next len(p) samples (48 kHz mono,
// 10 ms per call from the playout clock). It must not retain p. It is called from one
// goroutine at a time; an error stops playout into this sink for the rest of the call.
type Sink interface {
	Write(p []float32) error
}

// Silence is a Source of endless silence and a Sink that discards. The zero value is ready to
// use and safe for concurrent use.
type Silence struct{}

// Read writes zeros.
func (Silence) Read(p []float32) (int, error) {
	clear(p)
	return len(p), nil
}

// Write discards p.
func (Silence) Write([]float32) error { return nil }

// Tone is a Source of an endless sine wave. The zero value plays nothing useful (0 Hz,
// silence); set FrequencyHz and Amplitude. Not safe for concurrent use.
type Tone struct {
	FrequencyHz float64 // 20 to 20000 Hz
	Amplitude   float64 // peak, 0 to 1
	phase       float64
}

// Read writes the next len(p) samples of the tone.
func (t *Tone) Read(p []float32) (int, error) {
	step := 2 * math.Pi * t.FrequencyHz / SampleRateHz
	for i := range p {
		p[i] = float32(t.Amplitude * math.Sin(t.phase))
		t.phase += step
		if t.phase > 2*math.Pi {
			t.phase -= 2 * math.Pi
		}
	}
	return len(p), nil
}

// Samples is a Source playing a fixed signal once (then io.EOF). The zero value is an empty
// source. Not safe for concurrent use.
type Samples struct {
	Audio []float32 // 48 kHz mono; not modified
	pos   int
}

// Read copies the next samples of s.Audio into p.
func (s *Samples) Read(p []float32) (int, error) {
	if s.pos >= len(s.Audio) {
		return 0, io.EOF
	}
	n := copy(p, s.Audio[s.pos:])
	s.pos += n
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Done reports whether every sample has been read.
func (s *Samples) Done() bool { return s.pos >= len(s.Audio) }

// Recorder is a Sink keeping everything written to it in memory, up to Max samples (zero means
// no limit; beyond it later audio is dropped). The zero value is ready to use. Safe for
// concurrent use: Audio may be called while a call writes.
type Recorder struct {
	Max int

	mu  sync.Mutex
	buf []float32
}

// Write appends p.
func (r *Recorder) Write(p []float32) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Max > 0 && len(r.buf)+len(p) > r.Max {
		p = p[:max(0, r.Max-len(r.buf))]
	}
	r.buf = append(r.buf, p...)
	return nil
}

// Audio returns a copy of what was recorded so far.
func (r *Recorder) Audio() []float32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]float32(nil), r.buf...)
}

// Live is implemented by sources that capture from a device in real time (a microphone). The
// engine processes a live source by default (echo cancellation, noise suppression, gain
// control: engine/audio/apm) and leaves other sources (files, tones) as they are.
type Live interface {
	Live() bool
}

// IsLive reports whether src is a live device (it implements Live and says so).
func IsLive(src Source) bool {
	l, ok := src.(Live)
	return ok && l.Live()
}
