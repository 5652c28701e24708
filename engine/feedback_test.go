package engine

import (
	"errors"
	"testing"
	"time"
)

func TestFeedbackRoundTrip(t *testing.T) {
	f := feedback{at: 5 * time.Second, first: 1 << 40, n: 3}
	f.recs[0] = arrivalRecord{at: 4800 * time.Millisecond, seq: 65535}
	f.recs[1] = arrivalRecord{at: 4900 * time.Millisecond, seq: 0}
	f.recs[2] = arrivalRecord{at: 4900*time.Millisecond + 250*time.Microsecond, seq: 2}
	b := f.appendBinary(nil)
	if len(b) != feedbackHeader+3*feedbackRecordSize {
		t.Fatalf("encoded %d bytes", len(b))
	}
	var g feedback
	if err := g.unmarshal(b); err != nil {
		t.Fatal(err)
	}
	if g.at != f.at || g.first != f.first || g.n != f.n || g.recs != f.recs {
		t.Errorf("decoded %+v, want %+v", g, f)
	}
	for _, bad := range [][]byte{nil, {feedbackVersion}, b[:len(b)-1], append([]byte{1}, b[1:]...)} {
		if err := g.unmarshal(bad); !errors.Is(err, ErrProtocol) {
			t.Errorf("unmarshal(% x): %v, want ErrProtocol", bad, err)
		}
	}
	// Arrivals out of order.
	f.recs[0], f.recs[2] = f.recs[2], f.recs[0]
	if err := g.unmarshal(f.appendBinary(nil)); !errors.Is(err, ErrProtocol) {
		t.Errorf("out of order: %v, want ErrProtocol", err)
	}
}

// adaptPath returns a step that runs one packet through both sides of the adaptation: the
// sender records it, the receiver logs and tracks its arrival, and every fifth packet a
// feedback message (the last 450 ms) goes from the receiver to the sender.
func adaptPath(tb testing.TB) (step func(), rx *rxAdapt, tx *txAdapt) {
	s, err := (&Config{AdaptJitter: true}).resolve()
	if err != nil {
		tb.Fatal(err)
	}
	if rx, err = newRxAdapt(s); err != nil {
		tb.Fatal(err)
	}
	if tx, err = newTxAdapt(s); err != nil {
		tb.Fatal(err)
	}
	buf := make([]byte, 0, feedbackMaxSize)
	at, seq := time.Duration(0), uint16(0)
	return func() {
		tx.onSend(seq, 80)
		rx.onPacket(at, uint32(seq)*960, seq, 80)
		if seq%5 == 0 {
			tx.onFeedback(rx.appendFeedback(at, buf[:0]))
		}
		at += 20 * time.Millisecond
		seq++
	}, rx, tx
}

// BenchmarkAdaptPacket measures the adaptation's per-packet work on both sides (see adaptPath);
// it must allocate nothing.
func BenchmarkAdaptPacket(b *testing.B) {
	step, _, _ := adaptPath(b)
	for range 300 {
		step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		step()
	}
}

// TestFeedbackAllocs guards the zero-allocation contract of the feedback paths: the receiver
// logging arrivals and building messages, the sender taking them.
func TestFeedbackAllocs(t *testing.T) {
	step, rx, tx := adaptPath(t)
	for range 300 {
		step()
	}
	if a := testing.AllocsPerRun(500, step); a != 0 {
		t.Errorf("%v allocs per packet", a)
	}
	// Received is cumulative, whatever the snapshot time.
	if got := tx.ctl.Tracker.Features(0).Received; got < 300 {
		t.Errorf("sender's tracker took %d arrivals, want every one (≥ 300)", got)
	}
	if got := rx.ctl.Tracker.Features(0).Received; got < 300 {
		t.Errorf("receiver's tracker took %d arrivals", got)
	}
}

func FuzzFeedback(f *testing.F) {
	fb := feedback{at: time.Second, first: 7, n: 2}
	fb.recs[0] = arrivalRecord{at: 900 * time.Millisecond, seq: 1}
	fb.recs[1] = arrivalRecord{at: 950 * time.Millisecond, seq: 3}
	f.Add(fb.appendBinary(nil))
	f.Add([]byte{feedbackVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		var g feedback
		if err := g.unmarshal(b); err != nil {
			return
		}
		var h feedback
		if err := h.unmarshal(g.appendBinary(nil)); err != nil || h != g {
			t.Fatalf("re-encoding %+v gave %+v, %v", g, h, err)
		}
	})
}
