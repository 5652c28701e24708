package bench

import (
	"testing"
	"time"

	"github.com/parley-voice/parley/internal/netem"
)

// TestRunAdaptiveBurstyLoss runs the adaptive sender over 20 % bursty loss: it must turn on
// redundancy, conceal less than the network loses, and stay deterministic.
func TestRunAdaptiveBurstyLoss(t *testing.T) {
	speech := loadSpeech48(t)
	speech = append(speech, speech...)
	cfg, err := AdaptProfile("bursty20", 0)
	if err != nil {
		t.Fatal(err)
	}
	run := func() AdaptResult {
		l, err := netem.NewLink(cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		res, err := RunAdaptive(speech, AdaptConfig{}, l, &AdaptiveReceiver{Config: adaptJitterConfig()})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b := run(), run()
	if a.PayloadBytes != b.PayloadBytes || a.Changes != b.Changes || a.Receive != b.Receive {
		t.Errorf("not deterministic: %+v vs %+v", a.Receive, b.Receive)
	}
	red := 0
	for _, s := range a.Steps {
		if s.Decision.REDDepth > 0 {
			red++
		}
	}
	if red < len(a.Steps)/2 {
		t.Errorf("redundancy in %d of %d decisions", red, len(a.Steps))
	}
	if a.Receive.ResidualLoss() >= a.NetworkLoss*0.7 {
		t.Errorf("concealed %.3f with network loss %.3f", a.Receive.ResidualLoss(), a.NetworkLoss)
	}
	if a.Duration < 10*time.Second {
		t.Errorf("ran %v", a.Duration)
	}
}
