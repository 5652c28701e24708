package adapt

import (
	"math"
	"testing"
	"time"
)

// TestPredictorCorrects feeds a steady lossy stream and checks the corrected loss prediction
// ends closer to the observed loss than the raw model's.
func TestPredictorCorrects(t *testing.T) {
	m, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	pr, err := NewPredictor(m)
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(0)
	var last Prediction
	var f Features
	// 12 % loss in runs of 3 with 25 ms of delay jitter, 30 s, predictions every 500 ms.
	for i := range 1500 {
		send := time.Duration(i) * 20 * ms
		tr.OnSend(send, 100)
		if i%25 < 22 {
			tr.OnPacket(send+40*ms+time.Duration((i*7919)%25)*ms, send, uint16(i), 100)
		}
		if i%50 == 0 {
			tr.OnRTT(send, 90*ms)
		}
		if i%25 == 24 {
			f = tr.Features(send)
			last = pr.Predict(&f)
		}
	}
	if pr.Checks() < 40 {
		t.Fatalf("only %d checks", pr.Checks())
	}
	obs := f.Windows[1].Loss
	raw := m.Predict(&f)
	if math.Abs(last.Loss-obs) > math.Abs(raw.Loss-obs)+0.01 {
		t.Errorf("corrected loss %.3f vs raw %.3f, observed %.3f", last.Loss, raw.Loss, obs)
	}
	t.Logf("observed loss %.3f: raw %.3f, corrected %.3f; p95 raw %v corrected %v observed %v",
		obs, raw.Loss, last.Loss, raw.DelayP95, last.DelayP95, f.Windows[1].DelayP95)
	if a := testing.AllocsPerRun(100, func() { _ = pr.Predict(&f) }); a != 0 {
		t.Errorf("Predict: %v allocs", a)
	}
}

func TestPredictorNilModel(t *testing.T) {
	if _, err := NewPredictor(nil); err == nil {
		t.Error("nil model accepted")
	}
}
