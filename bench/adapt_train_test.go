package bench

import (
	"testing"

	"github.com/parley-voice/parley/adapt"
)

func TestAdaptTrainingSamplesDeterministic(t *testing.T) {
	cfg := TrainDataConfig{Traces: 3, Seed: 5}
	a, err := AdaptTrainingSamples(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := AdaptTrainingSamples(cfg)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%d and %d samples", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("sample %d differs", i)
		}
	}
	if a[0].Trace != 0 || a[len(a)-1].Trace != 2 {
		t.Errorf("trace labels %d..%d", a[0].Trace, a[len(a)-1].Trace)
	}
	_ = adapt.NumInputs
}
