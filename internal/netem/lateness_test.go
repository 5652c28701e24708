package netem

import (
	"testing"
	"time"
)

func TestLatenessHistogram(t *testing.T) {
	var h lateHist
	if l := h.summary(); l.Count != 0 || l.P99 != 0 {
		t.Fatalf("empty: %+v", l)
	}
	for i := range 1000 {
		h.add(time.Duration(i) * time.Microsecond) // 0..999 µs
	}
	h.add(-time.Second) // clamps to 0
	h.add(5 * time.Millisecond)
	h.add(3 * time.Second)
	l := h.summary()
	if l.Count != 1003 || l.Max != 3*time.Second {
		t.Fatalf("%+v", l)
	}
	if l.P50 < 499*time.Microsecond || l.P50 > 502*time.Microsecond || l.P99 < 990*time.Microsecond || l.P99 > time.Millisecond {
		t.Errorf("p50 %v p99 %v", l.P50, l.P99)
	}
}
