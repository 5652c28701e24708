package engine

import (
	"testing"
	"time"
)

// FuzzReceiverReport checks that decoding never panics and that every accepted report
// re-encodes to the same bytes.
func FuzzReceiverReport(f *testing.F) {
	good, _ := ReceiverReport{Seq: 7, PacketsReceived: 100, PacketsLost: -1, TotalSamples: 48000, BufferDelay: 40 * time.Millisecond}.MarshalBinary()
	f.Add(good)
	f.Add([]byte{})
	f.Add(good[:10])
	f.Fuzz(func(t *testing.T, b []byte) {
		var r ReceiverReport
		if err := r.UnmarshalBinary(b); err != nil {
			return
		}
		again, _ := r.MarshalBinary()
		var r2 ReceiverReport
		if err := r2.UnmarshalBinary(again); err != nil || r2 != r {
			t.Fatalf("round trip: %+v → %+v (%v)", r, r2, err)
		}
	})
}

func TestReceiverReportRoundTrip(t *testing.T) {
	want := ReceiverReport{Seq: 3, PacketsReceived: 9, PacketsLost: 2, PacketsDiscarded: 1, ConcealedSamples: 960,
		TotalSamples: 48000, RecoveredFEC: 1, RecoveredRED: 4, BufferDelay: 35 * time.Millisecond, TargetDelay: 40 * time.Millisecond}
	b, _ := want.MarshalBinary()
	var got ReceiverReport
	if err := got.UnmarshalBinary(b); err != nil || got != want {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
	if err := got.UnmarshalBinary(b[1:]); err == nil {
		t.Fatal("truncated report accepted")
	}
}
