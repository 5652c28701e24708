package bench

import "testing"

// The adapt+neteq strategy keeps adapt's sender but lets the NetEq-like buffer pick its own
// target: on a jittery link its buffer must differ from adapt's (which follows the decided
// target) while the sender's decisions are the same.
func TestAdaptNetEqIgnoresDecidedTarget(t *testing.T) {
	clips, err := DefaultClips()
	if err != nil {
		t.Fatal(err)
	}
	link, err := ProfileLink("3g")
	if err != nil {
		t.Fatal(err)
	}
	run := func(st string) Row {
		r, err := RunJob(Job{Link: link, Clip: clips[0], Seed: 1, Repeat: 1, Strategy: st})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, n := run(StrategyAdapt), run(StrategyAdaptNetEq)
	t.Logf("3g seed 1: adapt buffer %v PESQ-WB %.2f; adapt+neteq buffer %v PESQ-WB %.2f", a.BufferDelay, a.PESQ, n.BufferDelay, n.PESQ)
	if a.BufferDelay == n.BufferDelay {
		t.Errorf("same mean buffer delay %v with and without the decided target", a.BufferDelay)
	}
	if a.PayloadKbps <= 0 || n.PayloadKbps <= 0 {
		t.Errorf("payload %.1f / %.1f kb/s", a.PayloadKbps, n.PayloadKbps)
	}
}
