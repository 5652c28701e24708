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
		rev, err := netem.NewLink(ReverseLink(cfg), netem.ReverseSeed(3))
		if err != nil {
			t.Fatal(err)
		}
		res, err := RunAdaptive(speech, AdaptConfig{}, l, rev, &AdaptiveReceiver{Config: adaptJitterConfig()})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b := run(), run()
	if a.PayloadBytes != b.PayloadBytes || a.Changes != b.Changes || a.Receive != b.Receive {
		t.Errorf("not deterministic: %+v vs %+v", a.Receive, b.Receive)
	}
	red := 0 // decisions with RED or DRED (the policy takes DRED for bursty loss where libopus has it)
	for _, s := range a.Steps {
		if s.Decision.REDDepth > 0 || s.Decision.DRED > 0 {
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

// TestWebRTCReducesAfterDrop runs the webrtc-like sender (ported GCC) over 8 s at 128 kb/s then
// 8 s at 24 kb/s: it must leave its start rate, and after the drop bring its wire rate under
// the new capacity.
func TestWebRTCReducesAfterDrop(t *testing.T) {
	speech := loadSpeech48(t)
	for len(speech) < 16*SampleRateHz {
		speech = append(speech, speech...)
	}
	speech = speech[:16*SampleRateHz]
	cfg := netem.LinkConfig{Delay: netem.DelayConfig{Base: 30 * time.Millisecond},
		Capacity: netem.CapacityConfig{Steps: []netem.RateStep{{Duration: 8 * time.Second, RateBps: 128e3},
			{Duration: 8 * time.Second, RateBps: 24e3}}, QueueDelay: 300 * time.Millisecond}}
	link, err := netem.NewLink(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := netem.NewLink(ReverseLink(cfg), netem.ReverseSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	st, err := LookupStrategy(StrategyWebRTC)
	if err != nil {
		t.Fatal(err)
	}
	tl := &Timeline{}
	res, err := runStrategy(st, Job{}, speech, link, rev, tl)
	if err != nil {
		t.Fatal(err)
	}
	before := wireRate(tl.Sends, 6*time.Second, 8*time.Second)
	after := wireRate(tl.Sends, 13*time.Second, 16*time.Second)
	t.Logf("wire rate %.1f kb/s before the drop, %.1f after; %d changes", before/1000, after/1000, res.Changes)
	if before < 40e3 {
		t.Errorf("before the drop the sender ran at %.1f kb/s on a 128 kb/s link", before/1000)
	}
	if after > 24e3 {
		t.Errorf("after the drop to 24 kb/s the sender still sends %.1f kb/s", after/1000)
	}
	react, _ := reactRecover(cfg.Capacity.Steps, tl.Sends)
	if react < 0 || react > 6*time.Second {
		t.Errorf("react %v", react)
	}
}
