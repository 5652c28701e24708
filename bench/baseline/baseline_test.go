package baseline

import (
	"testing"
	"time"

	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"

	"github.com/parley-voice/parley/engine/media"
)

// TestTWCCAcksRoundTrip records arrivals with pion's twcc.Recorder (one packet missing), sends
// the report through Marshal/Unmarshal and reads it back.
func TestTWCCAcksRoundTrip(t *testing.T) {
	rec := twcc.NewRecorder(1)
	arr := map[uint16]time.Duration{}
	for seq := uint16(0); seq < 40; seq++ {
		if seq == 7 || seq == 8 {
			continue
		}
		a := 30*time.Millisecond + time.Duration(seq)*20*time.Millisecond + time.Duration(seq%3)*time.Millisecond
		arr[seq] = a
		rec.Record(2, seq, a.Microseconds())
	}
	raw, err := rtcp.Marshal(rec.BuildFeedbackPacket())
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := rtcp.Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, p := range pkts {
		fb, ok := p.(*rtcp.TransportLayerCC)
		if !ok {
			t.Fatalf("got %T", p)
		}
		if err := twccAcks(fb, func(seq uint16, at time.Duration, received bool) {
			seen++
			want, ok := arr[seq]
			if received != ok {
				t.Errorf("seq %d: received %v, want %v", seq, received, ok)
			}
			if ok && (at-want > 250*time.Microsecond || want-at > 250*time.Microsecond) {
				t.Errorf("seq %d: arrival %v, want %v", seq, at, want)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	if seen != 40 {
		t.Errorf("reported %d packets, want 40", seen)
	}
	// A received symbol without its delta is an error, not a panic.
	bad := &rtcp.TransportLayerCC{PacketStatusCount: 2, PacketChunks: []rtcp.PacketStatusChunk{
		&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketReceivedSmallDelta, RunLength: 2}},
		RecvDeltas: []*rtcp.RecvDelta{{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 250}}}
	if err := twccAcks(bad, func(uint16, time.Duration, bool) {}); err == nil {
		t.Error("missing delta not reported")
	}
}

// FuzzTWCCAcks feeds arbitrary RTCP to the report walker: it must never panic and must report
// at most PacketStatusCount packets.
func FuzzTWCCAcks(f *testing.F) {
	rec := twcc.NewRecorder(1)
	for seq := uint16(0); seq < 20; seq += 1 + seq%3 {
		rec.Record(2, seq, int64(seq)*20000)
	}
	if raw, err := rtcp.Marshal(rec.BuildFeedbackPacket()); err == nil {
		f.Add(raw)
	}
	f.Add([]byte{0x8f, 205, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 1, 0x20, 3, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		pkts, err := rtcp.Unmarshal(b)
		if err != nil {
			return
		}
		for _, p := range pkts {
			fb, ok := p.(*rtcp.TransportLayerCC)
			if !ok {
				continue
			}
			n := 0
			_ = twccAcks(fb, func(uint16, time.Duration, bool) { n++ })
			if n > int(fb.PacketStatusCount) {
				t.Fatalf("%d packets reported, count %d", n, fb.PacketStatusCount)
			}
		}
	})
}

// TestGCCFeedbackAllocs: walking a TWCC report and feeding the ported GCC allocate nothing per
// report once warm.
func TestGCCFeedbackAllocs(t *testing.T) {
	rec := twcc.NewRecorder(1)
	for seq := uint16(0); seq < 50; seq++ {
		if seq%7 != 3 {
			rec.Record(2, seq, int64(seq)*20000+30000)
		}
	}
	pkts := rec.BuildFeedbackPacket()
	fb := pkts[0].(*rtcp.TransportLayerCC)
	g := newGCC(webrtcStartWireBps, webrtcMinWireBps, webrtcMaxWireBps)
	acks := make([]gccAck, 0, 64)
	now := time.Second
	run := func() {
		acks = acks[:0]
		_ = twccAcks(fb, func(seq uint16, at time.Duration, ok bool) {
			a := gccAck{departure: now - time.Second + time.Duration(seq)*20*time.Millisecond, arrival: -1, size: 120}
			if ok {
				a.arrival = at + now - time.Second
			}
			acks = append(acks, a)
		})
		g.onFeedback(now, acks)
		now += time.Second
	}
	run()
	if n := testing.AllocsPerRun(50, run); n != 0 {
		t.Errorf("%v allocations per report", n)
	}
}

// TestFixed: the fixed policy decides its settings and target at once and never changes them.
func TestFixed(t *testing.T) {
	f := &Fixed{Settings: media.Settings{BitrateBps: 24000, Frame: 20 * time.Millisecond, FEC: true, LossHint: 0.1}, Target: 80 * time.Millisecond}
	a := media.NewAdapter(f)
	if _, ok := a.Tick(0, media.Tick); ok {
		t.Error("decided before the first packet")
	}
	a.OnSend(0, media.Sent{Packet: true, WireBytes: 100})
	for i, now := range []time.Duration{0, 100 * time.Millisecond, time.Second, time.Minute} {
		d, ok := a.Tick(now, media.Tick)
		if ok != (i == 0) || ok && (d.Settings != f.Settings || d.JitterTarget != f.Target) {
			t.Errorf("tick %v: %+v, %v", now, d, ok)
		}
	}
}

// TestTGVoIPLadder: reported loss climbs the redundancy ladder; a clean path adds 1 kb/s a
// second up to 32 kb/s.
func TestTGVoIPLadder(t *testing.T) {
	p := NewTGVoIP()
	a := media.NewAdapter(p)
	seq := uint16(0)
	var log media.ArrivalLog
	buf := make([]byte, 0, media.FeedbackMaxSize)
	var d media.Decision
	for now := time.Duration(0); now < 20*time.Second; now += media.Tick {
		for range 5 { // 20 ms frames, 10 % loss
			a.OnSend(now, media.Sent{Packet: true, SequenceNumber: seq, WireBytes: 100})
			if seq%10 != 3 {
				log.OnPacket(now+30*time.Millisecond, seq)
			}
			seq++
		}
		if log.FeedbackDue(now, media.Tick) {
			if err := a.OnFeedback(now+40*time.Millisecond, log.AppendFeedback(now, buf[:0])); err != nil {
				t.Fatal(err)
			}
		}
		if x, ok := a.Tick(now, media.Tick); ok {
			d = x
		}
	}
	if d.REDDepth != 3 || !d.FEC || d.BitrateBps > tgvoipInitBps {
		t.Errorf("after 20 s of 10 %% loss: %+v, want RED 3, FEC, rate not above the start", d.Settings)
	}
}
