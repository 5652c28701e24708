package audio

import (
	"fmt"
	"sync"

	"github.com/parley-voice/parley/codec"
)

// OpenWAV reads a WAV file (any format codec.ReadWAV accepts: 8-48 kHz, integer or float, mono
// or mixed down) and returns a Source playing it once at 48 kHz. With loop set the file
// repeats forever instead of ending with io.EOF.
func OpenWAV(path string, loop bool) (Source, error) {
	a, err := codec.ReadWAVFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	s, err := codec.Resample(a.Samples, a.SampleRateHz, SampleRateHz)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if loop {
		return &looping{audio: s}, nil
	}
	return &Samples{Audio: s}, nil
}

// looping plays a signal forever.
type looping struct {
	audio []float32
	pos   int
}

func (l *looping) Read(p []float32) (int, error) {
	if len(l.audio) == 0 {
		clear(p)
		return len(p), nil
	}
	for i := range p {
		p[i] = l.audio[l.pos]
		if l.pos++; l.pos == len(l.audio) {
			l.pos = 0
		}
	}
	return len(p), nil
}

// WAVWriter is a Sink recording to a WAV file, written when Close is called (16-bit PCM,
// 48 kHz mono). Create it with NewWAVWriter. Safe for concurrent use.
type WAVWriter struct {
	path string
	rec  Recorder

	mu     sync.Mutex
	closed bool
}

// NewWAVWriter returns a sink that will write path on Close. maxSamples bounds the recording
// in samples (zero: no bound).
func NewWAVWriter(path string, maxSamples int) *WAVWriter {
	return &WAVWriter{path: path, rec: Recorder{Max: maxSamples}}
}

// Write records p.
func (w *WAVWriter) Write(p []float32) error { return w.rec.Write(p) }

// Close writes the file. Later calls return nil and write nothing.
func (w *WAVWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	return codec.WriteWAVFile(w.path, codec.Audio{SampleRateHz: SampleRateHz, Samples: w.rec.Audio()}, codec.WAVPCM16)
}
