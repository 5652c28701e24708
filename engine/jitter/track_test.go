package jitter

import (
	"errors"
	"testing"
	"time"

	"github.com/parley-voice/parley/codec"
)

func TestModeConfig(t *testing.T) {
	if _, err := New(Config{Mode: ModeTrack + 1}); !errors.Is(err, ErrConfig) {
		t.Errorf("Mode %v: err %v, want ErrConfig", ModeTrack+1, err)
	}
	b := newBuffer(t, Config{Mode: ModeTrack})
	if b.cfg.Mode != ModeTrack || b.holdLimit() != trackHoldMin {
		t.Errorf("track: mode %v hold %v", b.cfg.Mode, b.holdLimit())
	}
	b = newBuffer(t, Config{})
	if b.cfg.Mode != ModeDefault || b.holdLimit() != 100*time.Millisecond {
		t.Errorf("default: mode %v hold %v", b.cfg.Mode, b.holdLimit())
	}
	if ModeTrack.String() != "track" || Mode(9).String() != "Mode(9)" {
		t.Errorf("names %q %q", ModeTrack, Mode(9))
	}
}

// TrackPolicy covers the redundancy depth only while packets are being lost.
func TestTrackPolicyRedundancyFloor(t *testing.T) {
	base := Estimate{Recent: 6 * time.Millisecond, Chunk: 10 * time.Millisecond, Frame: 40 * time.Millisecond}
	for _, c := range []struct {
		name string
		mod  func(*Estimate)
		want time.Duration
	}{
		{"no loss", func(e *Estimate) { e.REDDepth = 2 }, 16 * time.Millisecond},
		{"loss, no redundancy", func(e *Estimate) { e.Loss = 0.05 }, 16 * time.Millisecond},
		{"loss, RED 2", func(e *Estimate) { e.Loss, e.REDDepth = 0.05, 2 }, 96 * time.Millisecond},
		{"loss, FEC", func(e *Estimate) { e.Loss, e.FEC = 0.05, true }, 56 * time.Millisecond},
		{"loss, FEC, more jitter", func(e *Estimate) { e.Loss, e.FEC, e.Recent = 0.05, true, 70*time.Millisecond }, 120 * time.Millisecond},
		// DRED: the loss runs (3 frames of 40 ms), at most the reach, also between losses.
		{"DRED runs", func(e *Estimate) { e.LossRun, e.DREDReach = 3, 200*time.Millisecond }, 136 * time.Millisecond},
		{"DRED reach", func(e *Estimate) { e.LossRun, e.DREDReach = 8, 200*time.Millisecond }, 216 * time.Millisecond},
		{"runs, no DRED", func(e *Estimate) { e.Loss, e.LossRun = 0.05, 3 }, 16 * time.Millisecond},
		{"DRED and RED", func(e *Estimate) { e.Loss, e.REDDepth, e.LossRun, e.DREDReach = 0.05, 2, 1, time.Second }, 96 * time.Millisecond},
	} {
		e := base
		c.mod(&e)
		if got := TrackPolicy(e); got != c.want {
			t.Errorf("%s: target %v, want %v", c.name, got, c.want)
		}
		// The default mode adds the same cover to the delay quantile (once losses recur); the
		// NetEq-like mode adds none.
		e.Percentile = e.Recent + 4*time.Millisecond
		if e.Loss > 0 {
			e.LossEvents = defaultLossEvents
		}
		if got := DefaultPolicy(e); got != c.want+4*time.Millisecond {
			t.Errorf("%s: default target %v, want %v", c.name, got, c.want+4*time.Millisecond)
		}
		if got, want := NetEqPolicy(e), e.Percentile+e.Chunk; got != want {
			t.Errorf("%s: neteq target %v, want %v", c.name, got, want)
		}
	}
}

// The buffer reads the sender's loss, RED depth and FEC from the packets it is given.
func TestSenderView(t *testing.T) {
	set := codec.DefaultSettings()
	set.DTX, set.LossHint = false, 0.2
	tx := encode(t, loadSpeech(t)[:2*rtpClockHz], set, 2)
	b := newBuffer(t, Config{FEC: true, Mode: ModeTrack})
	var seen Estimate
	b.SetTargetPolicy(func(e Estimate) time.Duration { seen = e; return TrackPolicy(e) })
	out := make([]float32, 480)
	for i, p := range tx {
		at := p.sentAt + 30*time.Millisecond
		if i%10 != 5 { // lose one packet in ten
			_ = b.Push(at, p.p)
		}
		b.Pull(at, out)
		b.Pull(at+10*time.Millisecond, out)
	}
	if seen.REDDepth != 2 || !seen.FEC || seen.Loss < 0.05 || seen.Loss > 0.2 {
		t.Errorf("sender seen as RED depth %d, FEC %v, loss %.3f; want 2, true, about 0.1", seen.REDDepth, seen.FEC, seen.Loss)
	}
	if b.Target() < 2*20*time.Millisecond {
		t.Errorf("target %v under the RED depth's 40 ms while losing packets", b.Target())
	}
}

func TestTimeHistForgetsInTime(t *testing.T) {
	h := timeHist{tau: time.Second}
	for i := range 100 { // 200 ms relative delay for a second
		h.add(time.Duration(i)*10*time.Millisecond, 200*time.Millisecond, 1)
	}
	for i := range 500 { // then 10 ms for 5 s
		h.add(time.Second+time.Duration(i)*10*time.Millisecond, 10*time.Millisecond, 1)
	}
	if q := h.quantile(0.95); q > 20*time.Millisecond {
		t.Errorf("95th percentile %v five time constants after the spike, want ≤ 20ms", q)
	}
	for i := range 100000 { // renormalisation keeps it finite
		h.add(6*time.Second+time.Duration(i)*time.Second, 40*time.Millisecond, 1)
	}
	if q := h.quantile(0.5); q != 42*time.Millisecond {
		t.Errorf("median %v, want 42ms", q)
	}
}

func TestTrackAllocatesNothing(t *testing.T) {
	step := steadyState(t, Config{FEC: true, Mode: ModeTrack}, noDTX(t, 2))
	if a := testing.AllocsPerRun(500, step); a != 0 {
		t.Fatalf("%v allocations per Push+Pull in ModeTrack, want 0", a)
	}
}

// BenchmarkPushPullTrack is BenchmarkPushPull's RED 2 case in ModeTrack.
func BenchmarkPushPullTrack(b *testing.B) {
	step := steadyState(b, Config{FEC: true, Mode: ModeTrack}, noDTX(b, 2))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		step()
	}
}

// An outage's backlog barely moves the tracking quantile, while the NetEq-like one jumps to the
// outage's length: 3 s of 20 ms packets on time, a 500 ms outage whose packets all arrive at
// its end, then packets on time again.
func TestOutageBacklogIsNotJitter(t *testing.T) {
	e := newEstimator(DefaultForgetFactor, DefaultQuantile)
	const frame = 20 * time.Millisecond
	ts := int64(0)
	send := func(at time.Duration) {
		e.update(at, ts, frame)
		ts += durationTS(frame)
	}
	var at time.Duration
	for ; at < 3*time.Second; at += frame {
		send(at + 5*time.Millisecond*time.Duration(ts/960%2)) // 0 or 5 ms of jitter
	}
	end := at + 500*time.Millisecond
	for ; at < end; at += frame {
		send(end) // queued behind the outage
	}
	for ; at < end+time.Second; at += frame {
		send(at)
	}
	neteq, track := e.quantile(DefaultQuantile), e.recent.quantile(DefaultQuantile)
	t.Logf("1 s after a 500 ms outage: NetEq-like 95th percentile %v, tracking %v", neteq, track)
	if neteq < 200*time.Millisecond {
		t.Errorf("NetEq-like percentile %v: the outage should show in it", neteq)
	}
	if track > neteq/4 {
		t.Errorf("tracking percentile %v, over a quarter of NetEq-like's: the outage's backlog counted as jitter", track)
	}
}
