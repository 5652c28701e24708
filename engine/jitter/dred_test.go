package jitter

import (
	"errors"
	"testing"
	"time"

	"github.com/parley-voice/parley/codec"
)

// TestDREDRebuildsBursts: with a 140 ms target (from the start: on a constant link a buffer
// does not decelerate 120 ms towards it, see decelReach) the packet after a 5-frame (100 ms)
// burst is in the buffer when the burst's frames are due, and its DRED rebuilds all five; the
// same stream without Config.DRED conceals them.
func TestDREDRebuildsBursts(t *testing.T) {
	if !codec.Features().DRED {
		if _, err := New(Config{DRED: true}); !errors.Is(err, codec.ErrUnavailable) {
			t.Fatalf("New with DRED on %s: %v, want ErrUnavailable", codec.Features(), err)
		}
		t.Skipf("linked %s", codec.Features())
	}
	set := codec.DefaultSettings()
	set.DTX, set.FEC, set.LossHint, set.DRED = false, false, 0.2, 500*time.Millisecond
	tx := encode(t, loadSpeech(t)[:6*rtpClockHz], set, 0)
	lost := func(i int) bool { return i >= 20 && i%40 < 5 }
	dropped := 0
	for i := range tx {
		if lost(i) {
			dropped++
		}
	}
	for _, dred := range []bool{true, false} {
		b := newBuffer(t, Config{DRED: dred, DecoderComplexity: codec.DecoderDeepPLC, InitialTarget: 140 * time.Millisecond})
		b.SetTargetPolicy(func(Estimate) time.Duration { return 140 * time.Millisecond })
		tr := run(t, b, deliver(tx, func(i int, _ time.Duration) (time.Duration, bool) { return 20 * time.Millisecond, lost(i) }), 7*time.Second)
		st := tr.stats[len(tr.stats)-1]
		t.Logf("DRED %v: dropped %d, rebuilt by DRED %d, concealed %d samples, lost %d", dred, dropped, st.FramesRecoveredDRED, st.ConcealedSamples, st.PacketsLost)
		if st.PacketsLost != int64(dropped) {
			t.Fatalf("PacketsLost %d, want %d", st.PacketsLost, dropped)
		}
		if dred && (st.FramesRecoveredDRED != uint64(dropped) || st.ConcealedSamples != 0) {
			t.Errorf("DRED rebuilt %d of %d lost frames, concealed %d samples", st.FramesRecoveredDRED, dropped, st.ConcealedSamples)
		}
		if !dred && (st.FramesRecoveredDRED != 0 || st.ConcealedSamples != uint64(dropped*960)) {
			t.Errorf("without DRED: rebuilt %d, concealed %d samples (want 0, %d)", st.FramesRecoveredDRED, st.ConcealedSamples, dropped*960)
		}
	}
}

func TestDecoderComplexityNeedsTheFeature(t *testing.T) {
	_, err := New(Config{DecoderComplexity: codec.DecoderNoLACE})
	if codec.Features().OSCE != (err == nil) {
		t.Fatalf("NoLACE on %s: %v", codec.Features(), err)
	}
	if !codec.Features().OSCE && !errors.Is(err, codec.ErrUnavailable) {
		t.Fatalf("NoLACE on %s: %v, want ErrUnavailable", codec.Features(), err)
	}
}

// TestDREDPathAllocatesNothing runs Push+Pull over a stream that loses 5 of every 40 packets,
// rebuilt by DRED, and asserts zero allocations per frame.
func TestDREDPathAllocatesNothing(t *testing.T) {
	if !codec.Features().DRED || !codec.Features().OSCE {
		t.Skipf("linked %s", codec.Features())
	}
	set := codec.DefaultSettings()
	set.DTX, set.FEC, set.LossHint, set.DRED = false, false, 0.2, time.Second
	tx := encode(t, loadSpeech(t)[:2*rtpClockHz], set, 0)
	b := newBuffer(t, Config{DRED: true, DecoderComplexity: codec.DecoderNoLACE})
	b.SetTargetPolicy(func(Estimate) time.Duration { return 140 * time.Millisecond })
	out := make([]float32, 480)
	var at time.Duration
	k, lap := 0, uint32(0)
	period := uint32(len(tx)) * 960
	step := func() {
		if k%40 >= 5 {
			p := tx[k].p
			p.SequenceNumber += uint16(lap * uint32(len(tx)))
			p.Timestamp += lap * period
			_ = b.Push(at+20*time.Millisecond, p)
		}
		b.Pull(at+20*time.Millisecond, out)
		b.Pull(at+30*time.Millisecond, out)
		at += 20 * time.Millisecond
		if k++; k == len(tx) {
			k, lap = 0, lap+1
		}
	}
	for range 60 {
		step()
	}
	before := b.Stats().FramesRecoveredDRED
	if a := testing.AllocsPerRun(200, step); a != 0 {
		t.Errorf("%v allocations per frame with DRED recovery and NoLACE, want 0", a)
	}
	if b.Stats().FramesRecoveredDRED == before {
		t.Errorf("no frame rebuilt by DRED during the measurement")
	}
}
