package media

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/engine/jitter"
)

// writer is a PacketWriter that keeps the last packet's header and counts payload bytes.
type writer struct {
	n, packets int
	ts         []uint32
	red        bool
	noRED      bool
}

func (w *writer) WritePacket(h *rtp.Header, red bool, p []byte) error {
	w.n += len(p)
	w.packets++
	if len(w.ts) < cap(w.ts) {
		w.ts = append(w.ts, h.Timestamp)
	}
	w.red = red
	return nil
}

func (w *writer) REDPayloadType() (uint8, bool) { return 111, !w.noRED }

// tone fills pcm with a 300 Hz tone continuing from sample k.
func tone(pcm []float32, k int) int {
	for i := range pcm {
		pcm[i] = float32(0.3 * math.Sin(2*math.Pi*300*float64(k+i)/SampleRateHz))
	}
	return k + len(pcm)
}

func newTestSender(t testing.TB, s Settings) *Sender {
	t.Helper()
	snd, err := NewSender(SenderConfig{Codec: codec.DefaultSettings(), Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	return snd
}

var base = Settings{BitrateBps: 32000, Frame: 20 * time.Millisecond, FEC: true, LossHint: 0.05}

// sendN sends n frames of tone and returns the mean payload bytes per packet.
func sendN(t testing.TB, s *Sender, w *writer, n int, k *int) float64 {
	t.Helper()
	w.n, w.packets = 0, 0
	pcm := make([]float32, SampleRateHz*60/1000)
	for range n {
		p := pcm[:s.FrameSamples()]
		*k = tone(p, *k)
		if _, err := s.Send(p, w); err != nil {
			t.Fatal(err)
		}
	}
	return float64(w.n) / float64(max(w.packets, 1))
}

// TestSenderApply lowers the bitrate, raises the RED depth, switches to 60 ms frames and to
// low-rate RED copies between frames, and checks each shows in the packets.
func TestSenderApply(t *testing.T) {
	s := newTestSender(t, base)
	w := &writer{}
	k := 0
	before := sendN(t, s, w, 50, &k)
	set := base
	set.BitrateBps = 12000
	if err := s.Apply(set); err != nil {
		t.Fatal(err)
	}
	after := sendN(t, s, w, 50, &k)
	if after > before*0.6 {
		t.Errorf("mean packet %.0f bytes at 32 kb/s, %.0f after 12 kb/s", before, after)
	}
	set.REDDepth = 1
	if err := s.Apply(set); err != nil {
		t.Fatal(err)
	}
	red := sendN(t, s, w, 50, &k)
	if red < after*1.4 || !w.red {
		t.Errorf("mean packet %.0f bytes with RED depth 1 (RED %v), want well above %.0f", red, w.red, after)
	}
	w.noRED = true
	if sendN(t, s, w, 5, &k); w.red {
		t.Error("RED sent where the writer refuses it")
	}
	w.noRED = false

	set = Settings{BitrateBps: 24000, Frame: 60 * time.Millisecond}
	if err := s.Apply(set); err != nil {
		t.Fatal(err)
	}
	w.ts = make([]uint32, 0, 5)
	sendN(t, s, w, 5, &k)
	for i := 1; i < len(w.ts); i++ {
		if d := w.ts[i] - w.ts[i-1]; d != 2880 {
			t.Fatalf("timestamps %v: step %d, want 2880", w.ts, d)
		}
	}
	set = Settings{BitrateBps: 24000, Frame: 20 * time.Millisecond, REDDepth: 2}
	if err := s.Apply(set); err != nil {
		t.Fatal(err)
	}
	primary := sendN(t, s, w, 20, &k)
	set.REDLowRateBps = 8000
	if err := s.Apply(set); err != nil {
		t.Fatal(err)
	}
	low := sendN(t, s, w, 20, &k)
	t.Logf("RED depth 2 at 24 kb/s: %.0f bytes per packet with primary copies, %.0f with 8 kb/s copies", primary, low)
	if low > primary*0.8 {
		t.Errorf("low-rate copies: %.0f bytes per packet, primary copies %.0f", low, primary)
	}
	if s.Settings() != set {
		t.Errorf("settings in force %+v, want %+v", s.Settings(), set)
	}
	for _, bad := range []Settings{
		{BitrateBps: 1, Frame: 20 * time.Millisecond}, {BitrateBps: 24000, Frame: 30 * time.Millisecond},
		{BitrateBps: 24000, Frame: 20 * time.Millisecond, REDDepth: 1, REDLowRateBps: 100},
		{BitrateBps: 24000, Frame: 20 * time.Millisecond, REDDepth: 9},
		{BitrateBps: 24000, Frame: 20 * time.Millisecond, DRED: -time.Millisecond},
		{BitrateBps: 24000, Frame: 20 * time.Millisecond, LossHint: math.NaN()},
	} {
		if err := s.Apply(bad); !errors.Is(err, ErrConfig) {
			t.Errorf("Apply(%+v): %v, want ErrConfig", bad, err)
		}
	}
	if s.Settings() != set {
		t.Errorf("a refused Apply changed the settings to %+v", s.Settings())
	}
}

// TestSendReceiveAllocs guards the zero-allocation contract of the send step (encode,
// packetize, RED) and the receive step (RTP parse, jitter-buffer push, arrival log, two 10 ms
// pulls per 20 ms frame).
func TestSendReceiveAllocs(t *testing.T) {
	set := base
	set.REDDepth = 2
	s := newTestSender(t, set)
	w := &writer{}
	pcm := make([]float32, s.FrameSamples())
	tone(pcm, 0)
	if _, err := s.Send(pcm, w); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(100, func() { _, _ = s.Send(pcm, w) }); a != 0 {
		t.Errorf("send step: %v allocs per frame", a)
	}
	step := receivePath(t)
	i := 0
	if a := testing.AllocsPerRun(300, func() { step(i); i++ }); a != 0 {
		t.Errorf("receive step: %v allocs per frame", a)
	}
}

// BenchmarkSend measures the send step (Opus at 32 kb/s complexity 9, packetize, RED depth 2).
func BenchmarkSend(b *testing.B) {
	set := base
	set.REDDepth = 2
	s := newTestSender(b, set)
	w := &writer{}
	pcm := make([]float32, s.FrameSamples())
	tone(pcm, 0)
	_, _ = s.Send(pcm, w)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_, _ = s.Send(pcm, w)
	}
}

// BenchmarkReceive measures the receive step per 20 ms packet (see receivePath).
func BenchmarkReceive(b *testing.B) {
	step := receivePath(b)
	for i := range 200 {
		step(i)
	}
	i := 200
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		step(i)
		i++
	}
}

// receivePath returns a function that receives RTP packet i of a 20 ms Opus stream and plays
// the two 10 ms chunks it covers, in virtual time.
func receivePath(tb testing.TB) func(i int) {
	r, err := NewReceiver(ReceiverConfig{Jitter: jitter.Config{FEC: true}})
	if err != nil {
		tb.Fatal(err)
	}
	enc, err := codec.NewEncoder(SampleRateHz, codec.DefaultSettings())
	if err != nil {
		tb.Fatal(err)
	}
	pcm := make([]float32, 960)
	tone(pcm, 0)
	opus := make([]byte, codec.MaxPacketBytes)
	n, err := enc.Encode(pcm, opus)
	if err != nil {
		tb.Fatal(err)
	}
	pkt := make([]byte, 12+n)
	hdr := rtp.Header{Version: 2, PayloadType: 111, SSRC: 1}
	out := make([]float32, SampleRateHz/100)
	at := time.Duration(0)
	return func(i int) {
		hdr.SequenceNumber, hdr.Timestamp = uint16(i), uint32(i*960)
		hl, _ := hdr.MarshalTo(pkt)
		copy(pkt[hl:], opus[:n])
		if _, err := r.Receive(at, pkt[:hl+n], -1); err != nil {
			tb.Fatal(err)
		}
		r.Pull(at, out)
		r.Pull(at+Chunk, out)
		at += 2 * Chunk
	}
}

// TestReceiveMalformed: packets that are not RTP, or carry no payload, are errors wrapping
// ErrProtocol and reach neither the buffer nor the arrival log.
func TestReceiveMalformed(t *testing.T) {
	r, err := NewReceiver(ReceiverConfig{})
	if err != nil {
		t.Fatal(err)
	}
	hdr := rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: 1}
	empty, _ := hdr.Marshal()
	for _, b := range [][]byte{nil, {0x80}, empty} {
		if _, err := r.Receive(0, b, -1); !errors.Is(err, ErrProtocol) {
			t.Errorf("Receive(% x): %v, want ErrProtocol", b, err)
		}
	}
	if r.Log().Arrivals() != 0 || r.Buffer().Stats().PacketsReceived != 0 {
		t.Errorf("malformed packets logged: %d arrivals, %d received", r.Log().Arrivals(), r.Buffer().Stats().PacketsReceived)
	}
}

func FuzzReceive(f *testing.F) {
	hdr := rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: 7, Timestamp: 960}
	p, _ := (&rtp.Packet{Header: hdr, Payload: []byte{0x78, 1, 2, 3}}).Marshal()
	f.Add(p)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReceiver(ReceiverConfig{})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = r.Receive(time.Millisecond, b, 112)
		r.Pull(100*time.Millisecond, make([]float32, 480))
	})
}

// TestSenderDRED: Deep REDundancy reaches the encoder where libopus has it, and is refused
// (ErrConfig, settings unchanged) where it does not.
func TestSenderDRED(t *testing.T) {
	s := newTestSender(t, base)
	set := base
	set.LossHint, set.DRED = 0.2, 100*time.Millisecond
	err := s.Apply(set)
	if codec.Features().DRED {
		if err != nil || s.Settings().DRED != set.DRED {
			t.Fatalf("Apply(DRED 100 ms): %v, in force %v", err, s.Settings().DRED)
		}
		w := &writer{}
		k := 0
		if sendN(t, s, w, 20, &k); w.packets == 0 {
			t.Error("no packets with DRED on")
		}
		return
	}
	if !errors.Is(err, ErrConfig) || s.Settings() != base {
		t.Errorf("DRED without libopus support: %v, in force %+v", err, s.Settings())
	}
}
