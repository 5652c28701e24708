package jitter

import (
	"testing"
	"time"
)

func TestTimestampConversionsDoNotOverflow(t *testing.T) {
	for _, ts := range []int64{0, 1, 47999, 48000, 1 << 33, 1<<40 + 12345, 1 << 48, -48001} {
		d := tsDuration(ts)
		if back := durationTS(d); back < ts-1 || back > ts+1 {
			t.Errorf("ts %d → %v → %d", ts, d, back)
		}
	}
	if d := tsDuration(1<<40+48000) - tsDuration(1<<40); d != time.Second {
		t.Errorf("one second of timestamps at 2^40 is %v", d)
	}
}
