package adapt

import (
	"testing"
	"time"
)

// senderView adds what the sender side knows to a fed tracker: its sends and an RTT.
func senderView(tr *Tracker, n int, rtt time.Duration) {
	for i := range n {
		tr.OnSend(time.Duration(i)*20*ms, 100)
	}
	tr.OnRTT(0, rtt)
}

func TestDefaultModel(t *testing.T) {
	m, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	if n := EmbeddedModelBytes(); n > 200<<10 {
		t.Errorf("embedded model is %d bytes, over 200 KB", n)
	}
	// A clean 50 packet/s stream predicts little loss and a small delay spread.
	tr := NewTracker(0)
	end := feed(tr, 500, func(int) time.Duration { return 30 * ms }, nil)
	senderView(tr, 500, 60*ms)
	f := tr.Features(end)
	p := m.Predict(&f)
	if p.Loss > 0.05 || p.DelayP95 > 50*ms || p.OutOfRange {
		t.Errorf("clean stream: %+v", p)
	}
	// 20 % loss in bursts of 4 predicts substantial, bursty loss.
	tr.Reset()
	end = feed(tr, 500, func(int) time.Duration { return 30 * ms }, func(i int) bool { return i%20 >= 16 })
	senderView(tr, 500, 60*ms)
	f = tr.Features(end)
	p = m.Predict(&f)
	if p.Loss < 0.08 || p.MeanBurst < 1.5 {
		t.Errorf("bursty loss: %+v", p)
	}
}

func TestPredictZeroAllocs(t *testing.T) {
	m, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	var f Features
	if a := testing.AllocsPerRun(100, func() { _ = m.Predict(&f) }); a != 0 {
		t.Errorf("Predict: %v allocs", a)
	}
}
