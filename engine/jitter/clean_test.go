package jitter

import (
	"testing"
	"time"

	"github.com/parley-voice/parley/codec"
)

func TestCleanLinkSettles(t *testing.T) {
	speech := loadSpeech(t)[:8*rtpClockHz]
	tx := encode(t, speech, codec.DefaultSettings(), 0)
	rx := deliver(tx, func(int, time.Duration) (time.Duration, bool) { return 30 * time.Millisecond, false })
	b := newBuffer(t, Config{FEC: true})
	tr := run(t, b, rx, 9*time.Second)
	end := tr.stats[len(tr.stats)-1]
	mid := tr.stats[len(tr.stats)/2]
	last := meanDelayBetween(mid, end)
	t.Logf("final %+v", end)
	t.Logf("mean jitterBufferDelay second half %v, margin %v, target %v", last, end.Margin, end.TargetDelay)
	if end.ConcealedSamples != 0 || end.PacketsDiscarded != 0 || end.PacketsLost != 0 {
		t.Fatalf("clean link: concealed %d discarded %d lost %d", end.ConcealedSamples, end.PacketsDiscarded, end.PacketsLost)
	}
	if last > 40*time.Millisecond {
		t.Fatalf("clean link settles at %v mean buffer delay, want <= 40 ms", last)
	}
}
