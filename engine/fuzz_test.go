package engine

import (
	"testing"
	"time"
)

// FuzzReceiverReport checks that decoding never panics and that every accepted report
// re-encodes to the same bytes.
func FuzzReceiverReport(f *testing.F) {
	good := ReceiverReport{Seq: 7, PacketsReceived: 100, PacketsLost: -1, TotalSamples: 48000, BufferDelay: 40 * time.Millisecond}.appendBinary(nil)
	f.Add(good)
	f.Add([]byte{})
	f.Add(good[:10])
	f.Fuzz(func(t *testing.T, b []byte) {
		var r ReceiverReport
		if err := r.unmarshal(b); err != nil {
			return
		}
		again := r.appendBinary(nil)
		var r2 ReceiverReport
		if err := r2.unmarshal(again); err != nil || r2 != r {
			t.Fatalf("round trip: %+v → %+v (%v)", r, r2, err)
		}
	})
}

func TestReceiverReportRoundTrip(t *testing.T) {
	want := ReceiverReport{Seq: 3, PacketsReceived: 9, PacketsLost: 2, PacketsDiscarded: 1, ConcealedSamples: 960,
		TotalSamples: 48000, RecoveredFEC: 1, RecoveredRED: 4, BufferDelay: 35 * time.Millisecond, TargetDelay: 40 * time.Millisecond}
	b := want.appendBinary(nil)
	var got ReceiverReport
	if err := got.unmarshal(b); err != nil || got != want {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
	if err := got.unmarshal(b[1:]); err == nil {
		t.Fatal("truncated report accepted")
	}
}
