package bench

import (
	"testing"
	"time"

	"github.com/parley-voice/parley/adapt"
)

// TestValueSamples: rollouts are deterministic, cover several candidates per decision, and a
// value model trained on them corrects the quality model's forecast on its training data.
func TestValueSamples(t *testing.T) {
	cfg := RolloutConfig{Links: 6, Duration: 16 * time.Second, Seed: 3}
	a, err := ValueSamples(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ValueSamples(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) < 4*adapt.NumValueWeights || len(a) != len(b) {
		t.Fatalf("%d and %d samples", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("sample %d differs between two runs", i)
		}
	}
	m, before, after, err := adapt.TrainValue(a, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d samples; residual rms %.2f R before, %.2f after", len(a), before, after)
	if !(after < before) || m.Samples != len(a) {
		t.Errorf("training did not reduce the residual: %.2f → %.2f", before, after)
	}
}
