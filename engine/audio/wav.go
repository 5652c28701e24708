package audio

import (
	"errors"
	"fmt"
	"io"

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
	return fromAudio(a, loop)
}

// ReadWAV reads a whole WAV stream from r (e.g. standard input: a data size of 0 or
// 0xFFFFFFFF, as streaming tools write, runs to the end of the stream) and returns a Source
// playing it as OpenWAV does. It returns when r is exhausted.
func ReadWAV(r io.Reader, loop bool) (Source, error) {
	a, err := codec.ReadWAV(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return fromAudio(a, loop)
}

func fromAudio(a codec.Audio, loop bool) (Source, error) {
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

// StreamWAV returns a Source playing the WAV stream r as it arrives (e.g. standard input fed
// by sox or arecord): a 48 kHz stream is read as the call consumes it, so a live pipe works;
// a stream at another rate is read to its end first and resampled, like ReadWAV. Read blocks
// while the pipe has no data.
func StreamWAV(r io.Reader) (Source, error) {
	s, err := codec.NewWAVStream(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if s.SampleRateHz() == SampleRateHz {
		return s, nil
	}
	var all []float32
	p := make([]float32, 4800)
	for {
		n, err := s.Read(p)
		all = append(all, p[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrFormat, err)
		}
	}
	return fromAudio(codec.Audio{SampleRateHz: s.SampleRateHz(), Samples: all}, false)
}
