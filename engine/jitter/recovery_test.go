package jitter

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/parley-voice/parley/codec"
)

func constDelay(d time.Duration) func(int, time.Duration) (time.Duration, bool) {
	return func(int, time.Duration) (time.Duration, bool) { return d, false }
}

// pushAllThenPlay pushes packets (in the given order) at time 0 and plays n chunks.
func pushAllThenPlay(t *testing.T, pkts []Packet, chunks int) ([]float32, Stats) {
	t.Helper()
	b := newBuffer(t, Config{})
	// Everything arrives at once, so the estimator's view depends on the order; a fixed target
	// makes the playout depend only on what was received.
	b.SetTargetPolicy(func(Estimate) time.Duration { return 40 * time.Millisecond })
	for _, p := range pkts {
		_ = b.Push(0, p)
	}
	out := make([]float32, 0, chunks*480)
	buf := make([]float32, 480)
	for k := range chunks {
		b.Pull(time.Duration(k)*10*time.Millisecond, buf)
		out = append(out, buf...)
	}
	return out, b.Stats()
}

func TestReorderedPacketsPlayInOrder(t *testing.T) {
	tx := encode(t, loadSpeech(t)[:rtpClockHz], codec.DefaultSettings(), 0)
	var inOrder []Packet
	for _, p := range tx {
		inOrder = append(inOrder, p.p)
	}
	shuffled := slices.Clone(inOrder)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	want, ws := pushAllThenPlay(t, inOrder, 120)
	got, gs := pushAllThenPlay(t, shuffled, 120)
	if !slices.Equal(want, got) {
		t.Fatalf("shuffled arrival played differently from in-order arrival")
	}
	if gs.FramesDecoded != uint64(len(tx)) || gs.ConcealedSamples != ws.ConcealedSamples {
		t.Fatalf("shuffled: %d of %d frames decoded, concealed %d (in order %d)", gs.FramesDecoded, len(tx), gs.ConcealedSamples, ws.ConcealedSamples)
	}

	// On a link that holds back 10 % of packets by 30 ms, later packets overtake them; the
	// estimator learns the reordering and nothing is played out of order or lost.
	rng := rand.New(rand.NewPCG(3, 4))
	tx = encode(t, loadSpeech(t)[:6*rtpClockHz], codec.DefaultSettings(), 0)
	rx := deliver(tx, func(int, time.Duration) (time.Duration, bool) {
		if rng.Float64() < 0.1 {
			return 50 * time.Millisecond, false
		}
		return 20 * time.Millisecond, false
	})
	reordered := 0
	for i := 1; i < len(rx); i++ {
		if int16(rx[i].p.SequenceNumber-rx[i-1].p.SequenceNumber) < 0 {
			reordered++
		}
	}
	b := newBuffer(t, Config{})
	tr := run(t, b, rx, 7*time.Second)
	s := tr.stats[len(tr.stats)-1]
	t.Logf("%d reordered arrivals: decoded %d/%d, discarded %d, concealed %d, target %v", reordered, s.FramesDecoded, len(tx), s.PacketsDiscarded, s.ConcealedSamples, s.TargetDelay)
	if reordered == 0 || s.PacketsDiscarded > 3 || s.FramesDecoded+s.PacketsDiscarded != uint64(len(tx)) {
		t.Fatalf("reordering: %+v", s)
	}
}

func TestDuplicatesDiscarded(t *testing.T) {
	tx := encode(t, loadSpeech(t)[:rtpClockHz], codec.DefaultSettings(), 0)
	var once, twice []Packet
	for _, p := range tx {
		once = append(once, p.p)
		twice = append(twice, p.p, p.p)
	}
	want, _ := pushAllThenPlay(t, once, 120)
	got, s := pushAllThenPlay(t, twice, 120)
	if !slices.Equal(want, got) || s.PacketsDuplicated != uint64(len(tx)) || s.PacketsLost != 0 {
		t.Fatalf("duplicates: equal output %v, duplicated %d of %d, lost %d", slices.Equal(want, got), s.PacketsDuplicated, len(tx), s.PacketsLost)
	}
	b := newBuffer(t, Config{})
	if err := b.Push(0, once[0]); err != nil {
		t.Fatal(err)
	}
	if err := b.Push(0, once[0]); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("second push: %v, want ErrDuplicate", err)
	}
}

func TestDTXGapsAreNotLoss(t *testing.T) {
	s := loadSpeech(t)
	// Speech, 1.5 s of digital silence (the encoder goes into DTX), speech again.
	speech := slices.Concat(s[:3*rtpClockHz], make([]float32, 3*rtpClockHz/2), s[3*rtpClockHz:6*rtpClockHz])
	tx := encode(t, speech, codec.DefaultSettings(), 0)
	sent := len(speech) / 960
	if len(tx) > sent-40 {
		t.Fatalf("encoder sent %d of %d frames: no DTX", len(tx), sent)
	}
	b := newBuffer(t, Config{FEC: true})
	tr := run(t, b, deliver(tx, constDelay(30*time.Millisecond)), 8*time.Second)
	st := tr.stats[len(tr.stats)-1]
	t.Logf("sent %d of %d frames; %+v", len(tx), sent, st)
	if st.ConcealedSamples != 0 || st.PacketsLost != 0 || st.DTXSamples == 0 || st.ConcealmentEvents != 0 {
		t.Fatalf("DTX silence counted as loss: concealed %d, events %d, lost %d, DTX samples %d", st.ConcealedSamples, st.ConcealmentEvents, st.PacketsLost, st.DTXSamples)
	}
}

func TestLossBeforeDTXIsOneFrame(t *testing.T) {
	s := loadSpeech(t)
	speech := slices.Concat(s[:3*rtpClockHz], make([]float32, 3*rtpClockHz/2), s[3*rtpClockHz:6*rtpClockHz])
	tx := encode(t, speech, codec.DefaultSettings(), 0)
	// Find the DTX gap and lose the packet before it (its FEC cannot help: no packet follows).
	last := -1
	for i := 1; i < len(tx); i++ {
		if tx[i].p.Timestamp-tx[i-1].p.Timestamp > 960*10 {
			last = i - 1
			break
		}
	}
	if last < 0 {
		t.Fatal("no DTX gap")
	}
	b := newBuffer(t, Config{FEC: true})
	tr := run(t, b, deliver(tx, func(i int, _ time.Duration) (time.Duration, bool) { return 30 * time.Millisecond, i == last }), 8*time.Second)
	st := tr.stats[len(tr.stats)-1]
	t.Logf("lost packet %d before a DTX gap: concealed %d, events %d, DTX %d samples, lost %d", last, st.ConcealedSamples, st.ConcealmentEvents, st.DTXSamples, st.PacketsLost)
	if st.PacketsLost != 1 || st.ConcealmentEvents != 1 || st.ConcealedSamples > 2*960 || st.DTXSamples < rtpClockHz {
		t.Fatalf("a lost packet before DTX silence: %+v", st)
	}
}

// dropEvery loses every k-th packet (from the 10th on) and delays the rest by 30 ms.
func dropEvery(k int) func(int, time.Duration) (time.Duration, bool) {
	return func(i int, _ time.Duration) (time.Duration, bool) {
		return 30 * time.Millisecond, i >= 10 && i%k == 0
	}
}

func TestFECRecoversSingleLosses(t *testing.T) {
	set := codec.DefaultSettings()
	set.DTX, set.LossHint = false, 0.1
	tx := encode(t, loadSpeech(t)[:5*rtpClockHz], set, 0)
	dropped, withLBRR := 0, 0 // losses, and those whose next packet carries LBRR
	for i := range tx {
		if i >= 10 && i%10 == 0 {
			dropped++
			if has, _ := codec.PacketHasFEC(tx[i+1].p.Payload); has {
				withLBRR++
			}
		}
	}
	if withLBRR < dropped*3/4 {
		t.Fatalf("only %d of %d lost frames have LBRR in the next packet", withLBRR, dropped)
	}
	for _, fec := range []bool{true, false} {
		b := newBuffer(t, Config{FEC: fec})
		tr := run(t, b, deliver(tx, dropEvery(10)), 6*time.Second)
		st := tr.stats[len(tr.stats)-1]
		t.Logf("FEC %v: dropped %d, recovered by FEC %d, concealment events %d, lost %d", fec, dropped, st.FramesRecoveredFEC, st.ConcealmentEvents, st.PacketsLost)
		if st.PacketsLost != int64(dropped) {
			t.Fatalf("PacketsLost %d, want %d", st.PacketsLost, dropped)
		}
		// The encoder sends LBRR only after voiced frames: the others are concealed.
		if fec && (st.FramesRecoveredFEC != uint64(withLBRR) || st.ConcealmentEvents != uint64(dropped-withLBRR)) {
			t.Fatalf("FEC recovered %d of %d single losses with LBRR (%d in all), %d concealment events", st.FramesRecoveredFEC, withLBRR, dropped, st.ConcealmentEvents)
		}
		if !fec && (st.FramesRecoveredFEC != 0 || st.ConcealmentEvents != uint64(dropped)) {
			t.Fatalf("without FEC: recovered %d, events %d (want 0, %d)", st.FramesRecoveredFEC, st.ConcealmentEvents, dropped)
		}
	}
}

func TestREDRecoversLostPrimary(t *testing.T) {
	set := codec.DefaultSettings()
	set.DTX = false
	tx := encode(t, loadSpeech(t)[:5*rtpClockHz], set, 1)
	dropped := 0
	for i := range tx {
		if i >= 10 && i%7 == 0 {
			dropped++
		}
	}
	b := newBuffer(t, Config{FEC: true})
	tr := run(t, b, deliver(tx, dropEvery(7)), 6*time.Second)
	st := tr.stats[len(tr.stats)-1]
	t.Logf("dropped %d: RED %d, FEC %d, concealed %d", dropped, st.FramesRecoveredRED, st.FramesRecoveredFEC, st.ConcealedSamples)
	if st.FramesRecoveredRED != uint64(dropped) || st.ConcealedSamples != 0 || st.FramesRecoveredFEC != 0 {
		t.Fatalf("RED recovered %d of %d (FEC %d, concealed %d)", st.FramesRecoveredRED, dropped, st.FramesRecoveredFEC, st.ConcealedSamples)
	}
	// A malformed RED payload is counted and dropped.
	bad := Packet{SequenceNumber: 5000, Timestamp: 960, RED: true, Payload: []byte{0xef, 0x00}}
	if err := b.Push(7*time.Second, bad); !errors.Is(err, ErrMalformed) {
		t.Fatalf("malformed RED: %v", err)
	}
	if b.Stats().PacketsMalformed != 1 {
		t.Fatalf("PacketsMalformed %d", b.Stats().PacketsMalformed)
	}
}

func TestSenderTimestampJumps(t *testing.T) {
	set := codec.DefaultSettings()
	set.DTX = false
	tx := encode(t, loadSpeech(t)[:4*rtpClockHz], set, 0)
	// Halfway the sender restarts its timestamps 10 s back (sequence numbers continue), then
	// jumps 1 h forward.
	for i := range tx {
		switch {
		case i >= 3*len(tx)/4:
			tx[i].p.Timestamp += 3600 * rtpClockHz
		case i >= len(tx)/2:
			tx[i].p.Timestamp -= 10 * rtpClockHz
		}
	}
	b := newBuffer(t, Config{})
	tr := run(t, b, deliver(tx, constDelay(30*time.Millisecond)), 5*time.Second)
	s := tr.stats[len(tr.stats)-1]
	t.Logf("%+v", s)
	if s.FramesDecoded < uint64(len(tx))-2 || s.PacketsDiscarded > 2 || s.TargetDelay > 40*time.Millisecond || s.ConcealedSamples > 960 {
		t.Fatalf("timestamp jumps: decoded %d of %d, discarded %d, target %v", s.FramesDecoded, len(tx), s.PacketsDiscarded, s.TargetDelay)
	}
}
