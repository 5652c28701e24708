package media

import (
	"errors"
	"testing"
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/engine/jitter"
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
	for _, bad := range [][]byte{nil, {FeedbackVersion}, b[:len(b)-1], append([]byte{1}, b[1:]...)} {
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

// recorder is a Policy that records what it is told.
type recorder struct {
	sends    int
	arrivals []Arrival
	made     []time.Duration
}

func (r *recorder) Initial() Settings {
	return Settings{BitrateBps: 32000, Frame: 20 * time.Millisecond}
}
func (r *recorder) Period() time.Duration              { return time.Second }
func (r *recorder) OnSend(time.Duration, uint16, int)  { r.sends++ }
func (r *recorder) OnRTT(time.Duration, time.Duration) {}
func (r *recorder) Decide(time.Duration) (Decision, bool) {
	return Decision{Settings: r.Initial()}, true
}
func (r *recorder) OnFeedback(f *Feedback) {
	r.arrivals = append(r.arrivals, f.Arrivals...)
	r.made = append(r.made, f.Made)
}

// TestAdapterMatchesFeedback: the sender's adapter maps the receiver's clock onto its own with
// the least (arrival − receiver clock), hands each arrival once (messages overlap), matched to
// its send time, and leaves out packets it never sent.
func TestAdapterMatchesFeedback(t *testing.T) {
	rec := &recorder{}
	a := NewAdapter(rec)
	var log ArrivalLog
	const offset = 3 * time.Second // the receiver's clock runs 3 s ahead of the sender's
	const fwd, back = 30 * time.Millisecond, 20 * time.Millisecond
	buf := make([]byte, 0, FeedbackMaxSize)
	for i := range 50 {
		at := time.Duration(i) * 20 * time.Millisecond
		a.OnSend(at, Sent{Packet: true, SequenceNumber: uint16(i), WireBytes: 100 + i})
		if i%7 != 3 { // some lost
			log.OnPacket(at+fwd+offset, uint16(i))
		}
		if i%10 == 9 {
			now := at + fwd + offset
			if err := a.OnFeedback(now-offset+back, log.AppendFeedback(now, buf[:0])); err != nil {
				t.Fatal(err)
			}
		}
	}
	log.OnPacket(time.Hour, 999) // never sent
	if err := a.OnFeedback(time.Hour-offset+back, log.AppendFeedback(time.Hour, buf[:0])); err != nil {
		t.Fatal(err)
	}
	if rec.sends != 50 {
		t.Errorf("%d sends", rec.sends)
	}
	seen := map[uint16]bool{}
	for _, ar := range rec.arrivals {
		if seen[ar.Seq] {
			t.Errorf("arrival %d handed twice", ar.Seq)
		}
		seen[ar.Seq] = true
		sent := time.Duration(ar.Seq) * 20 * time.Millisecond
		if ar.Sent != sent || ar.WireBytes != 100+int(ar.Seq) || ar.Arrived-ar.Sent != fwd+back {
			t.Errorf("arrival %+v: want sent %v, %d bytes, one-way delay %v (forward + least reverse)", ar, sent, 100+ar.Seq, fwd+back)
		}
	}
	if len(seen) != 50-7 {
		t.Errorf("%d arrivals handed, want 43", len(seen))
	}
	if err := a.OnFeedback(0, []byte{FeedbackVersion, 1}); !errors.Is(err, ErrProtocol) {
		t.Errorf("malformed: %v", err)
	}
}

// adaptPath returns a step that runs one packet through both sides of the adaptation: the
// sender's adapter records it, the receiver pushes it (arrival log, jitter controller), and
// every fifth packet a feedback message goes from the receiver to the sender.
func adaptPath(tb testing.TB) (step func(), rx *Receiver, pol *AdaptPolicy) {
	pol, err := NewAdaptPolicy(nil, adapt.PolicyConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	ctl, err := adapt.NewController(nil, adapt.PolicyConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	rx, err = NewReceiver(ReceiverConfig{JitterControl: ctl})
	if err != nil {
		tb.Fatal(err)
	}
	tx := NewAdapter(pol)
	buf := make([]byte, 0, FeedbackMaxSize)
	payload := make([]byte, 80)
	at, seq := time.Duration(0), uint16(0)
	return func() {
		tx.OnSend(at, Sent{Packet: true, SequenceNumber: seq, WireBytes: 80 + OverheadBytes})
		rx.Push(at, jitter.Packet{SequenceNumber: seq, Timestamp: uint32(seq) * 960, Payload: payload})
		if seq%5 == 0 {
			_ = tx.OnFeedback(at, rx.Log().AppendFeedback(at, buf[:0]))
		}
		at += 20 * time.Millisecond
		seq++
	}, rx, pol
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
	step, rx, pol := adaptPath(t)
	for range 300 {
		step()
	}
	if a := testing.AllocsPerRun(500, step); a != 0 {
		t.Errorf("%v allocs per packet", a)
	}
	// Received is cumulative, whatever the snapshot time.
	if got := pol.Controller().Tracker.Features(0).Received; got < 300 {
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
	f.Add([]byte{FeedbackVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		var g feedback
		if err := g.unmarshal(b); err != nil {
			return
		}
		var h feedback
		if err := h.unmarshal(g.appendBinary(nil)); err != nil || h != g {
			t.Fatalf("re-encoding %+v gave %+v, %v", g, h, err)
		}
		// The sender's adapter takes any well-formed message.
		a := NewAdapter(&recorder{})
		if err := a.OnFeedback(time.Second, b); err != nil {
			t.Fatalf("adapter refused a well-formed message: %v", err)
		}
	})
}
