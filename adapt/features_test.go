package adapt

import (
	"math"
	"testing"
	"time"
)

const ms = time.Millisecond

// feed sends n packets 20 ms apart from time 0, with one-way delay owd(i) and lost(i) dropped.
func feed(tr *Tracker, n int, owd func(i int) time.Duration, lost func(i int) bool) time.Duration {
	var last time.Duration
	for i := range n {
		send := time.Duration(i) * 20 * ms
		if lost != nil && lost(i) {
			continue
		}
		last = send + owd(i)
		tr.OnPacket(last, send, uint16(i+60000), 100) // wraps the 16-bit sequence number
	}
	return last
}

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %v, want %v ± %v", name, got, want, tol)
	}
}

func TestFeaturesLossAndBursts(t *testing.T) {
	tr := NewTracker(0)
	// Lose 3 packets out of every 20: 15 % loss in bursts of exactly 3.
	end := feed(tr, 1000, func(int) time.Duration { return 40 * ms }, func(i int) bool { return i%20 >= 17 })
	f := tr.Features(end)
	for _, w := range f.Windows[1:] {
		near(t, "loss", w.Loss, 0.15, 0.03)
		near(t, "mean burst", w.MeanBurst, 3, 1e-9)
		if w.MaxBurst != 3 {
			t.Errorf("max burst %d, want 3", w.MaxBurst)
		}
		near(t, "jitter", w.Jitter.Seconds(), 0, 1e-9)
		near(t, "delay p95", w.DelayP95.Seconds(), 0, 1e-9)
		// 17 of every 20 packets arrive: 42.5 packets/s, 100 bytes each.
		near(t, "packet rate", w.PacketRate, 42.5, 3)
		near(t, "arrival rate", w.ArrivalRateBps, 34000, 2500)
		near(t, "max gap", w.MaxGap.Seconds(), 0.080, 1e-9)
	}
	if f.Lost != 147 || f.Received != 850 { // the last burst is not yet seen
		t.Errorf("totals lost %d received %d, want 147, 850", f.Lost, f.Received)
	}
}

func TestFeaturesJitterAndPercentiles(t *testing.T) {
	tr := NewTracker(0)
	// Delay alternates 30 ms / 40 ms: every transit difference is 10 ms; half the packets sit
	// 10 ms above the base.
	end := feed(tr, 500, func(i int) time.Duration { return 30*ms + time.Duration(i%2)*10*ms }, nil)
	f := tr.Features(end)
	w := f.Windows[1]
	near(t, "jitter", w.Jitter.Seconds(), 0.010, 1e-9)
	near(t, "p50", w.DelayP50.Seconds(), 0, 1e-9)
	near(t, "p95", w.DelayP95.Seconds(), 0.010, 1e-9)
	near(t, "max", w.DelayMax.Seconds(), 0.010, 1e-9)
	near(t, "std", w.DelayStd.Seconds(), 0.005, 1e-6)
	near(t, "loss", w.Loss, 0, 0)
	near(t, "gradient", w.Gradient, 0, 0.01)
}

func TestFeaturesGradientAndDispersion(t *testing.T) {
	tr := NewTracker(0)
	// A queue builds: delay grows 2 ms per packet (2/22 s per s of arrival time), packets leave the bottleneck 22 ms
	// apart for 20 ms sent, so the dispersion is 20/22.
	end := feed(tr, 200, func(i int) time.Duration { return 30*ms + time.Duration(i)*2*ms }, nil)
	f := tr.Features(end)
	for _, w := range f.Windows {
		near(t, "gradient", w.Gradient, 2.0/22, 1e-6) // per second of arrival time
		near(t, "dispersion", w.Dispersion, 20.0/22, 1e-6)
	}
}

func TestFeaturesGapAndReorder(t *testing.T) {
	tr := NewTracker(0)
	end := feed(tr, 100, func(int) time.Duration { return 30 * ms }, nil)
	// Nothing for 600 ms.
	f := tr.Features(end + 600*ms)
	if f.Windows[0].Packets != 0 || f.Windows[0].MaxGap != WindowShort {
		t.Errorf("short window after a gap: %+v", f.Windows[0])
	}
	near(t, "1 s max gap", f.Windows[1].MaxGap.Seconds(), 0.6, 1e-9)
	near(t, "since last", f.SinceLast.Seconds(), 0.6, 1e-9)

	// A swapped pair is not loss.
	tr.Reset()
	for i, s := range []int{0, 1, 3, 2, 4, 5} {
		tr.OnPacket(time.Duration(i)*20*ms+30*ms, time.Duration(s)*20*ms, uint16(s), 100)
	}
	f = tr.Features(200 * ms)
	if f.Windows[1].Loss != 0 || f.Lost != 0 {
		t.Errorf("reordering counted as loss: %v, %d", f.Windows[1].Loss, f.Lost)
	}
}

func TestFeaturesRTTAndSendRate(t *testing.T) {
	tr := NewTracker(0)
	tr.OnRTT(0, 120*ms)
	tr.OnRTT(ms, 80*ms)
	tr.OnRTT(2*ms, 100*ms)
	tr.OnRTT(3*ms, -1)
	for i := range 100 {
		tr.OnSend(time.Duration(i)*20*ms, 100)
	}
	f := tr.Features(99 * 20 * ms)
	if f.RTT != 100*ms || f.RTTMin != 80*ms {
		t.Errorf("RTT %v min %v", f.RTT, f.RTTMin)
	}
	near(t, "send rate", f.SendRateBps, 40000, 1)
}

func TestFeaturesZeroAllocs(t *testing.T) {
	tr := NewTracker(0)
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		at := time.Duration(i) * 20 * ms
		tr.OnPacket(at+30*ms+time.Duration(i%7)*ms, at, uint16(i), 120)
		tr.OnSend(at, 120)
		i++
	})
	if allocs != 0 {
		t.Errorf("OnPacket: %v allocs", allocs)
	}
	allocs = testing.AllocsPerRun(100, func() { _ = tr.Features(time.Duration(i) * 20 * ms) })
	if allocs != 0 {
		t.Errorf("Features: %v allocs", allocs)
	}
}

func BenchmarkOnPacket(b *testing.B) {
	tr := NewTracker(0)
	b.ReportAllocs()
	for i := range b.N {
		at := time.Duration(i) * 20 * ms
		tr.OnPacket(at+30*ms, at, uint16(i), 120)
	}
}

func BenchmarkFeatures(b *testing.B) {
	tr := NewTracker(0)
	for i := range 1000 {
		at := time.Duration(i) * 20 * ms
		tr.OnPacket(at+30*ms+time.Duration(i%5)*ms, at, uint16(i), 120)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = tr.Features(1000 * 20 * ms)
	}
}

// TestFeaturesOutage: a run of OutageRun or more missing packets spanning OutageSpan (a cut, a
// path switch) is no loss for the windows, while a short burst still is; the base delay is
// measured afresh after it.
func TestFeaturesOutage(t *testing.T) {
	tr := NewTracker(0)
	// 20 ms packets at 40 ms one-way; packets 100..119 (400 ms) lost, then the path is back at
	// 70 ms; a burst of 3 lost at 150..152.
	for i := range 250 {
		if i >= 100 && i < 120 || i >= 150 && i < 153 {
			continue
		}
		owd := 40 * ms
		if i >= 120 {
			owd = 70 * ms
		}
		send := time.Duration(i) * 20 * ms
		tr.OnPacket(send+owd, send, uint16(i), 100)
	}
	f := tr.Features(250*20*ms + 70*ms)
	long := f.Windows[2]
	near(t, "long-window loss (burst of 3 in 250)", long.Loss, 3.0/250, 0.01)
	near(t, "long-window mean burst", long.MeanBurst, 3, 0.01)
	if long.MaxBurst != 3 {
		t.Errorf("MaxBurst %d, want the burst's 3 (the outage is none)", long.MaxBurst)
	}
	if long.DelayP50 > 5*ms {
		t.Errorf("delay above base %v after the path came back 30 ms slower: the base was not re-measured", long.DelayP50)
	}
}

// TestFeaturesSendGap: the longest stretch of the last WindowMedium without a packet sent,
// between two sends or since the last one; zero without OnSend.
func TestFeaturesSendGap(t *testing.T) {
	tr := NewTracker(256)
	if f := tr.Features(time.Second); f.SendGap != 0 {
		t.Fatalf("no sends: SendGap %v", f.SendGap)
	}
	at := time.Duration(0)
	for range 40 { // 0.8 s of 20 ms frames
		tr.OnSend(at, 100)
		at += 20 * time.Millisecond
	}
	if f := tr.Features(at - 20*time.Millisecond); f.SendGap != 20*time.Millisecond {
		t.Fatalf("steady 20 ms frames: SendGap %v", f.SendGap)
	}
	at += 280 * time.Millisecond // a 300 ms pause (DTX) between two packets
	for range 10 {
		tr.OnSend(at, 100)
		at += 20 * time.Millisecond
	}
	if f := tr.Features(at - 20*time.Millisecond); f.SendGap != 300*time.Millisecond {
		t.Fatalf("after a 300 ms pause: SendGap %v", f.SendGap)
	}
	if f := tr.Features(at + 500*time.Millisecond); f.SendGap != 520*time.Millisecond {
		t.Fatalf("silent since the last packet: SendGap %v", f.SendGap)
	}
	// Sends after the snapshot's time do not count, and the pause has left the window 2 s on.
	if f := tr.Features(at - 20*time.Millisecond + 2*time.Second); f.SendGap != time.Second {
		t.Fatalf("2 s of silence: SendGap %v (the window is %v)", f.SendGap, WindowMedium)
	}
}
