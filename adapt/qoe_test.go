package adapt

import (
	"math"
	"testing"
	"time"
)

// TestQoE: the one objective falls with concealment, delay and interruptions.
func TestQoE(t *testing.T) {
	s := Settings{BitrateBps: 24000, Frame: 20 * time.Millisecond}
	base := Outcome{Settings: s, MouthToEar: 120 * time.Millisecond}
	r0 := QoE(&base)
	worse := []Outcome{
		{Settings: s, MouthToEar: 120 * time.Millisecond, Concealed: 0.05},
		{Settings: s, MouthToEar: 300 * time.Millisecond},
		{Settings: s, MouthToEar: 120 * time.Millisecond, Interruptions: 1},
	}
	for _, o := range worse {
		if r := QoE(&o); !(r < r0) {
			t.Errorf("%+v: QoE %.1f not below the clean window's %.1f", o, r, r0)
		}
	}
	if r := QoE(&Outcome{Settings: s, Concealed: 1}); math.IsNaN(r) || r > 0 {
		t.Errorf("all concealed: QoE %v", r)
	}
	if r := QoE(&Outcome{}); !math.IsInf(r, -1) {
		t.Errorf("no bitrate: QoE %v, want −Inf", r)
	}
}
