package bench

import (
	"testing"
	"time"

	"github.com/parley-voice/parley/internal/netem"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
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

// TestWebRTCReducesAfterDrop runs the webrtc-like sender (ported GCC) over 8 s at 128 kb/s then
// 8 s at 24 kb/s: it must leave its start rate, and after the drop bring its wire rate under
// the new capacity.
func TestWebRTCReducesAfterDrop(t *testing.T) {
	speech := loadSpeech48(t)
	for len(speech) < 16*SampleRateHz {
		speech = append(speech, speech...)
	}
	speech = speech[:16*SampleRateHz]
	cfg := netem.LinkConfig{Delay: netem.DelayConfig{Base: 30 * time.Millisecond},
		Capacity: netem.CapacityConfig{Steps: []netem.RateStep{{Duration: 8 * time.Second, RateBps: 128e3},
			{Duration: 8 * time.Second, RateBps: 24e3}}, QueueDelay: 300 * time.Millisecond}}
	link, err := netem.NewLink(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	tl := &Timeline{}
	res, err := runLoop(speech, loopConfig{policy: newWebRTCPolicy(), rx: webrtcReceiver(), timeline: tl}, link)
	if err != nil {
		t.Fatal(err)
	}
	before := wireRate(tl.Sends, 6*time.Second, 8*time.Second)
	after := wireRate(tl.Sends, 13*time.Second, 16*time.Second)
	t.Logf("wire rate %.1f kb/s before the drop, %.1f after; %d changes", before/1000, after/1000, res.Changes)
	if before < 40e3 {
		t.Errorf("before the drop the sender ran at %.1f kb/s on a 128 kb/s link", before/1000)
	}
	if after > 24e3 {
		t.Errorf("after the drop to 24 kb/s the sender still sends %.1f kb/s", after/1000)
	}
	react, _ := reactRecover(cfg.Capacity.Steps, tl.Sends)
	if react < 0 || react > 6*time.Second {
		t.Errorf("react %v", react)
	}
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
