package engine

import (
	"errors"
	"testing"

	"github.com/parley-voice/parley/codec"
)

// TestDecoderComplexityConfig: zero picks the best level the linked libopus has, a level it
// lacks or one out of range is a configuration error, and classic levels always work.
func TestDecoderComplexityConfig(t *testing.T) {
	f := codec.Features()
	s, err := (&Config{}).resolve()
	if err != nil {
		t.Fatal(err)
	}
	want := codec.DecoderClassic
	switch {
	case f.OSCE:
		want = codec.DecoderNoLACE
	case f.DeepPLC:
		want = codec.DecoderDeepPLC
	}
	if s.DecoderComplexity != want {
		t.Errorf("zero DecoderComplexity on %s resolved to %d, want %d", f, s.DecoderComplexity, want)
	}
	for _, c := range []struct {
		level int
		ok    bool
	}{{-1, false}, {11, false}, {1, true}, {4, true}, {codec.DecoderDeepPLC, f.DeepPLC}, {codec.DecoderNoLACE, f.OSCE}} {
		_, err := (&Config{DecoderComplexity: c.level}).resolve()
		if c.ok != (err == nil) || err != nil && !errors.Is(err, ErrConfig) {
			t.Errorf("DecoderComplexity %d on %s: %v (want ok %v)", c.level, f, err, c.ok)
		}
		if c.level >= codec.DecoderDeepPLC && c.level <= 10 && !c.ok && !errors.Is(err, codec.ErrUnavailable) {
			t.Errorf("DecoderComplexity %d on %s: %v, want codec.ErrUnavailable", c.level, f, err)
		}
	}
	// The receive side builds its jitter buffer with that level and DRED decoding.
	r, err := newReceiver(s)
	if err != nil {
		t.Fatalf("receiver with DecoderComplexity %d: %v", s.DecoderComplexity, err)
	}
	_ = r
}
