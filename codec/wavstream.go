package codec

import (
	"errors"
	"fmt"
	"io"
	"math"
)

// WAVStream reads the samples of a WAV stream as they arrive (a pipe from sox or arecord),
// mixed down to mono, without waiting for its end. Create it with NewWAVStream. Not safe for
// concurrent use.
type WAVStream struct {
	r         io.Reader
	f         wavFmt
	remaining int64 // data bytes left; -1 for a stream running to its end
	buf       []byte
	err       error
}

// NewWAVStream reads r's header (the formats ReadWAV accepts) up to the first sample.
func NewWAVStream(r io.Reader) (*WAVStream, error) {
	f, size, err := readWAVHeader(r)
	if err != nil {
		return nil, err
	}
	s := &WAVStream{r: r, f: f, remaining: int64(size)}
	if streamingSize(size) {
		s.remaining = -1
	}
	return s, nil
}

// SampleRateHz is the stream's sample rate.
func (s *WAVStream) SampleRateHz() int { return s.f.rateHz }

// Read fills p with the next mono samples, blocking until len(p) arrived or the stream ended:
// it returns fewer only with an error (io.EOF at the end of the data; a partial sample frame
// at the end is dropped). A non-finite float sample is an error wrapping ErrWAV.
func (s *WAVStream) Read(p []float32) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	frameBytes := s.f.channels * s.f.bits / 8
	want := len(p) * frameBytes
	if s.remaining >= 0 && int64(want) > s.remaining {
		want = int(s.remaining) - int(s.remaining)%frameBytes
	}
	if cap(s.buf) < want {
		s.buf = make([]byte, want)
	}
	b := s.buf[:want]
	n, err := io.ReadFull(s.r, b)
	n -= n % frameBytes
	if s.remaining >= 0 {
		s.remaining -= int64(n)
	}
	bps := s.f.bits / 8
	inv := 1 / float64(s.f.channels)
	got := n / frameBytes
	for i := range got {
		var sum float64
		for c := range s.f.channels {
			sum += wavSample(b[(i*s.f.channels+c)*bps:], s.f)
		}
		v := float32(sum * inv)
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			s.err = fmt.Errorf("%w: sample is %v", ErrWAV, v)
			return i, s.err
		}
		p[i] = v
	}
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		s.err = io.EOF
	case err != nil:
		s.err = fmt.Errorf("%w: reading data: %v", ErrWAV, err)
	case got < len(p): // the data chunk ended
		s.err = io.EOF
	}
	if s.err != nil {
		return got, s.err
	}
	return got, nil
}
