package bench

import (
	"math"
	"testing"
)

// TestDTXPausesAreNotConcealment runs speech with a one-second pause in the middle through the
// side-by-side bench on a clean link, with the call's DTX: the sender sends nothing in the
// pause, and neither a fixed buffer nor the engine's may have the pause count as late or lost
// audio, an interruption or a lower E-model MOS. Both receivers first conceal the pause's frames
// (nothing is buffered) and learn only from the next packet that they were silence; the tick
// probe must take that concealment back from the ticks that played it.
func TestDTXPausesAreNotConcealment(t *testing.T) {
	speech := loadSpeech48(t)[:3*SampleRateHz]
	withPause := append(append(append([]float32{}, speech...), make([]float32, SampleRateHz)...), speech...)
	link, err := ProfileLink("clean")
	if err != nil {
		t.Fatal(err)
	}
	clip := Clip{Name: "pause", Samples: withPause}
	for _, st := range []string{StrategyFixed, StrategyAdaptNetEq} {
		r, err := RunJob(Job{Link: link, Clip: clip, Seed: 1, Repeat: 1, Strategy: st})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: late %.4f lost %.4f interruptions %.2f/min MOS %.2f", st, r.ConcealLate, r.ConcealLost, r.InterruptionsPerMin, r.MOS)
		if r.ConcealLate+r.ConcealLost > 0.002 || r.InterruptionsPerMin > 0 || r.MOS < 4.3 {
			t.Errorf("%s: a DTX pause on a clean link counted as concealment: late %.4f lost %.4f, %.2f interruptions a minute, MOS %.2f",
				st, r.ConcealLate, r.ConcealLost, r.InterruptionsPerMin, r.MOS)
		}
	}
}

// TestUnconceal takes concealment back from the last run of concealed ticks, most recent first,
// across at most unconcealSlack of other playout at the end and never past that run.
func TestUnconceal(t *testing.T) {
	ticks := []Tick{{Playing: true, Concealed: 100}, {Playing: true}, {Playing: true, Concealed: 480}, {Playing: true, Concealed: 200}}
	if got := unconceal(ticks, 300); got != 300 || ticks[3].Concealed != 0 || ticks[2].Concealed != 380 {
		t.Fatalf("took %d, ticks %+v", got, ticks)
	}
	// ticks[3] is not concealed any more: within the slack, the run before it is reached.
	if got := unconceal(ticks, 1000); got != 380 || ticks[2].Concealed != 0 || ticks[0].Concealed != 100 {
		t.Fatalf("took %d past the run: ticks %+v", got, ticks)
	}
	if got := unconceal(nil, 10); got != 0 {
		t.Fatalf("took %d from no ticks", got)
	}
	// Beyond the slack, decoded playout separates the concealment from the end: nothing is taken.
	long := []Tick{{Playing: true, Concealed: 480}}
	for range unconcealSlack/chunkSamples + 1 {
		long = append(long, Tick{Playing: true})
	}
	if got := unconceal(long, 480); got != 0 || long[0].Concealed != 480 {
		t.Fatalf("took %d across %d ticks of decoded audio", got, len(long)-1)
	}
	// A tick before playout started ends the walk.
	notPlaying := []Tick{{Playing: true, Concealed: 480}, {Concealed: 480}, {Playing: true, Concealed: 480}}
	if got := unconceal(notPlaying, 2000); got != 480 || notPlaying[0].Concealed != 480 {
		t.Fatalf("took %d past a tick before playout: %+v", got, notPlaying)
	}
}

// TestScoreRepeatsFollowsStretch: an adaptive buffer that stretched time plays a repetition
// later (or earlier) than the playout start's alignment says; each repetition is scored against
// the window that holds it, so 30 ms of delay added before the second repetition costs no
// PESQ-WB, where cutting at the sent repetition's samples lost its onset.
func TestScoreRepeatsFollowsStretch(t *testing.T) {
	clip := loadSpeech48(t)[:4*SampleRateHz]
	n := len(clip)
	sent := make([]float32, 0, 3*n+SampleRateHz)
	for range 3 {
		sent = append(sent, clip...)
	}
	sent = append(sent, make([]float32, SampleRateHz)...)
	shift := 30 * SampleRateHz / 1000
	recv := make([]float32, len(sent))
	copy(recv, sent[:n])
	copy(recv[n+shift:], sent[n:])
	same, _, err := scoreRepeats(Result{Sent: sent, Received: sent}, n, 3)
	if err != nil {
		t.Fatal(err)
	}
	got, reps, err := scoreRepeats(Result{Sent: sent, Received: recv}, n, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 3 || math.Abs((reps[0]+reps[1]+reps[2])/3-got) > 1e-12 {
		t.Errorf("per-repetition scores %v, want 3 averaging to %.3f", reps, got)
	}
	cut := 0.0
	for i := range 3 {
		q, err := Score(sent[i*n:(i+1)*n], recv[i*n:(i+1)*n])
		if err != nil {
			t.Fatal(err)
		}
		cut += q.WB / 3
	}
	t.Logf("PESQ-WB: unshifted %.3f, 30 ms later from the second repetition %.3f (cut at the sent samples: %.3f)", same, got, cut)
	if got < same-0.02 {
		t.Errorf("a 30 ms shift cost %.3f PESQ-WB (%.3f against %.3f)", same-got, got, same)
	}
	if lag := repeatLag(sent[n:2*n], recv, n); lag != shift {
		t.Errorf("repeatLag %d samples, want %d", lag, shift)
	}
	if lag := repeatLag(make([]float32, n), recv, n); lag != 0 {
		t.Errorf("repeatLag of silence %d, want 0", lag)
	}
}
