package media

import (
	"testing"
	"time"
)

// urgentPolicy decides every second, and asks for an urgent decision when told to.
type urgentPolicy struct {
	ask     bool
	decided []time.Duration
}

func (p *urgentPolicy) Initial() Settings {
	return Settings{BitrateBps: 32000, Frame: 20 * time.Millisecond}
}
func (p *urgentPolicy) Period() time.Duration              { return time.Second }
func (p *urgentPolicy) OnSend(time.Duration, uint16, int)  {}
func (p *urgentPolicy) OnFeedback(*Feedback)               {}
func (p *urgentPolicy) OnRTT(time.Duration, time.Duration) {}
func (p *urgentPolicy) Urgent(time.Duration) bool {
	a := p.ask
	p.ask = false
	return a
}
func (p *urgentPolicy) Decide(now time.Duration) (Decision, bool) {
	p.decided = append(p.decided, now)
	return Decision{Settings: p.Initial()}, true
}

// TestAdapterUrgent: a policy that asks between its periods is decided at the next tick, and
// its period runs from there.
func TestAdapterUrgent(t *testing.T) {
	p := &urgentPolicy{}
	a := NewAdapter(p)
	a.OnSend(0, Sent{Packet: true, SequenceNumber: 1, WireBytes: 100})
	for now := time.Duration(0); now <= 3*time.Second; now += Tick {
		if now == 1300*time.Millisecond {
			p.ask = true
		}
		a.Tick(now, Tick)
	}
	want := []time.Duration{0, time.Second, 1300 * time.Millisecond, 2300 * time.Millisecond}
	if len(p.decided) != len(want) {
		t.Fatalf("decided at %v, want %v", p.decided, want)
	}
	for i := range want {
		if p.decided[i] != want[i] {
			t.Fatalf("decided at %v, want %v", p.decided, want)
		}
	}
}
