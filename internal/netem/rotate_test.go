package netem

import (
	"testing"
	"time"
)

func TestTraceRotate(t *testing.T) {
	ms := time.Millisecond
	seg := &Trace{Segments: []TraceSegment{{Duration: 100 * ms, RateBps: 1}, {Duration: 200 * ms, RateBps: 2}, {Duration: 300 * ms, RateBps: 3}}}
	r := seg.Rotate(150 * ms)
	want := []TraceSegment{{Duration: 150 * ms, RateBps: 2}, {Duration: 300 * ms, RateBps: 3}, {Duration: 100 * ms, RateBps: 1}, {Duration: 50 * ms, RateBps: 2}}
	if len(r.Segments) != len(want) {
		t.Fatalf("rotated segments %v, want %v", r.Segments, want)
	}
	for i := range want {
		if r.Segments[i] != want[i] {
			t.Fatalf("rotated segments %v, want %v", r.Segments, want)
		}
	}
	if r.Duration() != seg.Duration() || seg.Segments[0].RateBps != 1 {
		t.Fatalf("rotation changed the length or the original")
	}
	opp := &Trace{Opportunities: []time.Duration{0, 10 * ms, 50 * ms, 90 * ms}, Period: 100 * ms}
	o := opp.Rotate(40 * ms)
	wantO := []time.Duration{10 * ms, 50 * ms, 60 * ms, 70 * ms}
	for i := range wantO {
		if o.Opportunities[i] != wantO[i] {
			t.Fatalf("rotated opportunities %v, want %v", o.Opportunities, wantO)
		}
	}
	if o.Period != opp.Period || o.validate() != nil {
		t.Fatalf("rotated opportunity trace invalid: %+v", o)
	}
}

// TestSeededStart checks that the seed moves a trace link's start, and that one seed always
// gives the same link.
func TestSeededStart(t *testing.T) {
	segs := make([]TraceSegment, 100)
	for i := range segs {
		segs[i] = TraceSegment{Duration: 100 * time.Millisecond, RateBps: int64(10000 + 1000*i)}
	}
	cfg := LinkConfig{Capacity: CapacityConfig{Trace: &Trace{Segments: segs}, SeededStart: true}}
	first := func(seed uint64) int64 {
		l, err := NewLink(cfg, seed)
		if err != nil {
			t.Fatal(err)
		}
		return l.Config().Capacity.Trace.Segments[0].RateBps
	}
	starts := map[int64]bool{}
	for seed := uint64(1); seed <= 5; seed++ {
		if first(seed) != first(seed) {
			t.Fatalf("seed %d: two links start differently", seed)
		}
		starts[first(seed)] = true
	}
	if len(starts) < 4 {
		t.Fatalf("5 seeds gave only %d distinct starts", len(starts))
	}
	cfg.Capacity.SeededStart = false
	if first(1) != 10000 || first(2) != 10000 {
		t.Fatal("without SeededStart the trace must start at its beginning")
	}
}
