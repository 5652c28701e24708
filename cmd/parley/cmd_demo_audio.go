package main

import (
	"io"
	"sync"
	"time"

	"github.com/parley-voice/parley/engine/audio"
)

// loopClip is a Source playing a clip in a loop. Not safe for concurrent use (the engine reads
// its Source from one goroutine).
type loopClip struct {
	clip []float32
	pos  int
}

func (s *loopClip) Read(p []float32) (int, error) {
	if len(s.clip) == 0 {
		return 0, io.EOF
	}
	for i := range p {
		p[i] = s.clip[s.pos]
		s.pos = (s.pos + 1) % len(s.clip)
	}
	return len(p), nil
}

// tapSource passes src through and keeps what it handed out (the reference for PESQ) and when
// it first did. Safe for one reader and concurrent audio() calls.
type tapSource struct {
	src audio.Source

	mu    sync.Mutex
	sent  []float32
	first time.Time
}

func (s *tapSource) Read(p []float32) (int, error) {
	n, err := s.src.Read(p)
	s.mu.Lock()
	if s.first.IsZero() && n > 0 {
		s.first = time.Now()
	}
	s.sent = append(s.sent, p[:n]...)
	s.mu.Unlock()
	return n, err
}

// audio returns a copy of what was handed out and when the first samples were.
func (s *tapSource) audio() ([]float32, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]float32(nil), s.sent...), s.first
}

// tapSink keeps what it is given and when the first samples came, and passes them on to next
// (nil: nowhere). Safe for one writer and concurrent audio() calls.
type tapSink struct {
	next audio.Sink

	mu    sync.Mutex
	got   []float32
	first time.Time
	err   error // next's first error: writing to it stops, recording goes on
}

func (s *tapSink) Write(p []float32) error {
	s.mu.Lock()
	if s.first.IsZero() {
		s.first = time.Now()
	}
	s.got = append(s.got, p...)
	next := s.next
	if s.err != nil {
		next = nil
	}
	s.mu.Unlock()
	if next != nil {
		if err := next.Write(p); err != nil {
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
		}
	}
	return nil
}

func (s *tapSink) audio() ([]float32, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]float32(nil), s.got...), s.first
}
