package jitter

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/parley-voice/parley/codec"
)

// TestRunCover checks the run cover on known run-length mixes: single losses need one frame;
// geometric runs of mean 2.5 leave a share 0.6^k of the lost packets beyond the last k of
// their run, so 90 % needs k = 5; runs of 4 need 4.
func TestRunCover(t *testing.T) {
	var r runStats
	if k := r.cover(); k != 0 {
		t.Fatalf("no runs: cover %d, want 0", k)
	}
	for range 50 {
		r.add(1)
	}
	if k := r.cover(); k != 1 {
		t.Fatalf("single losses: cover %d, want 1", k)
	}
	r = runStats{}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		n := int64(1)
		for rng.Float64() < 0.6 {
			n++
		}
		r.add(n)
	}
	if k := r.cover(); k < 4 || k > 6 {
		t.Fatalf("geometric runs of mean 2.5: cover %d, want 5 (4 to 6)", k)
	}
	r = runStats{}
	for range 40 {
		r.add(4)
	}
	if k := r.cover(); k != 4 {
		t.Fatalf("runs of 4: cover %d, want 4", k)
	}
	r.add(1000) // an outage: not a loss run redundancy can rebuild
	if k := r.cover(); k != 4 {
		t.Fatalf("runs of 4 and an outage: cover %d, want 4", k)
	}
}

// TestDefaultCoversDRED: a DRED sender loses runs of 4 packets on a link of constant delay.
// The default buffer reads the runs and the DRED's reach from the packets, raises its target
// by the runs' length, reaches it at the losses (and in pauses: at most half of the 80 ms
// rise is stretched) and then
// rebuilds the runs from DRED; the NetEq-like buffer (ModeNetEq) keeps its 20 ms target, so
// the packet after a run comes after most of the run was due and is concealed.
func TestDefaultCoversDRED(t *testing.T) {
	tx := encodeDRED(t, 8)
	lost := func(i int) bool { return i >= 20 && i%25 < 4 }
	late := 0 // lost packets due in the last 4 s
	for i := range tx {
		if lost(i) && i >= len(tx)/2 && i < len(tx)-5 {
			late++
		}
	}
	rebuilt := map[Mode]uint64{}
	for _, mode := range []Mode{ModeDefault, ModeNetEq} {
		b := newBuffer(t, Config{Mode: mode, DRED: true, DecoderComplexity: codec.DecoderDeepPLC})
		tr := run(t, b, deliver(tx, func(i int, _ time.Duration) (time.Duration, bool) { return 20 * time.Millisecond, lost(i) }), 8*time.Second)
		mid, end := tr.stats[len(tr.stats)/2], tr.stats[len(tr.stats)-1] // 4 s and 8 s: the stream lasts to 8.02 s
		rebuilt[mode] = end.FramesRecoveredDRED - mid.FramesRecoveredDRED
		t.Logf("%v: target %v, margin %v, rebuilt %d of the last %d losses, decelerated %d samples, concealed %d samples",
			mode, end.TargetDelay, end.Margin, rebuilt[mode], late, end.InsertedSamplesForDeceleration, end.ConcealedSamples)
		if mode == ModeDefault {
			if end.TargetDelay < 90*time.Millisecond || end.Margin < 85*time.Millisecond {
				t.Errorf("default: target %v, margin %v; want both to cover 4 frames (80 ms) and a chunk", end.TargetDelay, end.Margin)
			}
			if end.InsertedSamplesForDeceleration > 1920 {
				t.Errorf("default: decelerated %d samples to reach the target, want it reached mostly at the losses", end.InsertedSamplesForDeceleration)
			}
		} else if end.TargetDelay > 40*time.Millisecond {
			t.Errorf("neteq: target %v, want the delay quantile alone", end.TargetDelay)
		}
	}
	if rebuilt[ModeDefault] < uint64(late) || rebuilt[ModeDefault] < 2*rebuilt[ModeNetEq] {
		t.Fatalf("DRED rebuilt %d (default) and %d (neteq) of the last %d losses", rebuilt[ModeDefault], rebuilt[ModeNetEq], late)
	}
}

// TestDefaultCoversRED: behind a sender of two RED copies that loses runs of two packets, the
// default buffer's target covers the copies' two frames, so every lost frame plays from a copy
// without waiting at an underrun; the NetEq-like buffer's target ignores the copies.
func TestDefaultCoversRED(t *testing.T) {
	set := codec.DefaultSettings()
	set.DTX = false
	tx := encode(t, loadSpeech(t)[:6*rtpClockHz], set, 2)
	lost := func(i int) bool { return i >= 20 && i%10 < 2 }
	for _, mode := range []Mode{ModeDefault, ModeNetEq} {
		b := newBuffer(t, Config{Mode: mode})
		tr := run(t, b, deliver(tx, func(i int, _ time.Duration) (time.Duration, bool) { return 20 * time.Millisecond, lost(i) }), 7*time.Second)
		mid, end := tr.stats[len(tr.stats)/2], tr.stats[len(tr.stats)-1]
		conc := end.ConcealedSamples - mid.ConcealedSamples
		t.Logf("%v: target %v, RED %d, concealed %d samples in the second half", mode, end.TargetDelay, end.FramesRecoveredRED, conc)
		switch {
		case mode == ModeDefault && (end.TargetDelay < 50*time.Millisecond || conc != 0):
			t.Errorf("default: target %v, concealed %d samples; want 2 frames covered and nothing concealed", end.TargetDelay, conc)
		case mode == ModeNetEq && end.TargetDelay > 30*time.Millisecond:
			t.Errorf("neteq: target %v, want the delay quantile alone", end.TargetDelay)
		}
	}
}

// TestFECNeedsLBRR: packets of a sender without in-band FEC carry no LBRR, so a lost frame is
// concealed (and counted so) even with Config.FEC, never "decoded from FEC": libopus would
// conceal anyway, and the slot went to FEC before DRED could rebuild the frame.
func TestFECNeedsLBRR(t *testing.T) {
	set := codec.DefaultSettings()
	set.DTX, set.FEC, set.BitrateBps = false, false, 16000 // SILK or hybrid: a mode that could carry FEC
	tx := encode(t, loadSpeech(t)[:5*rtpClockHz], set, 0)
	silk := 0
	for _, p := range tx {
		if p.p.Payload[0]>>3 < 16 {
			silk++
		}
	}
	if silk < len(tx)*9/10 {
		t.Fatalf("%d of %d packets in SILK or hybrid mode: the test needs a mode that can carry FEC", silk, len(tx))
	}
	b := newBuffer(t, Config{FEC: true})
	tr := run(t, b, deliver(tx, dropEvery(10)), 6*time.Second)
	st := tr.stats[len(tr.stats)-1]
	if st.FramesRecoveredFEC != 0 || st.ConcealmentEvents != uint64(st.PacketsLost) || st.FECPacketsReceived != 0 {
		t.Fatalf("no LBRR sent: FEC recovered %d, FEC packets %d, concealment events %d for %d losses",
			st.FramesRecoveredFEC, st.FECPacketsReceived, st.ConcealmentEvents, st.PacketsLost)
	}
}

// TestOneLossStartsNoCover: behind a DRED sender, one run of 10 lost packets (a stall, a path
// switch) on an otherwise clean link does not raise the default buffer's target: the cover
// waits for losses that recur.
func TestOneLossStartsNoCover(t *testing.T) {
	tx := encodeDRED(t, 5)
	b := newBuffer(t, Config{DRED: true, DecoderComplexity: codec.DecoderDeepPLC})
	tr := run(t, b, deliver(tx, func(i int, _ time.Duration) (time.Duration, bool) { return 20 * time.Millisecond, i >= 100 && i < 110 }), 5*time.Second)
	var most time.Duration
	for _, s := range tr.stats[250:] { // from 2.5 s, after the run
		most = max(most, s.TargetDelay)
	}
	if end := tr.stats[len(tr.stats)-1]; end.PacketsLost != 10 || most > 40*time.Millisecond {
		t.Fatalf("one run of 10 lost: %d lost, target up to %v after it (want the delay quantile alone)", end.PacketsLost, most)
	}
}

// encodeDRED encodes the first secs seconds of speech as a sender of 200 ms of DRED does (FEC
// off, loss hint 20 %, no DTX), skipping the test where the linked libopus has no DRED.
func encodeDRED(t *testing.T, secs int) []txPacket {
	t.Helper()
	if !codec.Features().DRED {
		t.Skipf("linked %s", codec.Features())
	}
	set := codec.DefaultSettings()
	set.DTX, set.FEC, set.LossHint, set.DRED = false, false, 0.2, 200*time.Millisecond
	return encode(t, loadSpeech(t)[:secs*rtpClockHz], set, 0)
}
