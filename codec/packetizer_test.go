package codec

import (
	"testing"
	"time"
)

func TestPacketizerDTX(t *testing.T) {
	p := Packetizer{InitialSequence: 65534, InitialTimestamp: 1000}
	sizes := []int{80, 80, 1, 2, 1, 60, 70, 3}
	type want struct {
		send   bool
		seq    uint16
		ts     uint32
		marker bool
	}
	wants := []want{
		{true, 65534, 1000, true}, // first packet: marker
		{true, 65535, 1960, false},
		{false, 0, 0, false}, // DTX frames: not sent, timestamp still advances
		{false, 0, 0, false},
		{false, 0, 0, false},
		{true, 0, 1000 + 5*960, true}, // talkspurt resumes: marker, seq continues (wraps)
		{true, 1, 1000 + 6*960, false},
		{true, 2, 1000 + 7*960, false}, // 3 bytes is a real packet
	}
	for i, n := range sizes {
		h, send := p.Next(n, 20*time.Millisecond)
		w := wants[i]
		if send != w.send || (send && (h.SequenceNumber != w.seq || h.Timestamp != w.ts || h.Marker != w.marker)) {
			t.Fatalf("frame %d (%d bytes): got send=%v %+v, want %+v", i, n, send, h, w)
		}
	}
	if got := p.NextTimestamp(); got != 1000+8*960 {
		t.Fatalf("NextTimestamp %d", got)
	}
	// Frame durations other than 20 ms advance by their own length at the 48 kHz RTP clock.
	h, _ := p.Next(50, 60*time.Millisecond)
	h2, _ := p.Next(50, 60*time.Millisecond)
	if h2.Timestamp-h.Timestamp != 2880 {
		t.Fatalf("60 ms frame advanced %d ticks, want 2880", h2.Timestamp-h.Timestamp)
	}
	if a := testing.AllocsPerRun(100, func() { p.Next(50, 20*time.Millisecond) }); a != 0 {
		t.Fatalf("%v allocs", a)
	}
}
