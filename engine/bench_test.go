package engine

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/engine/media"
)

// discard is a TrackLocalWriter that drops packets, standing in for pion's SRTP writer.
type discard struct{ n int }

func (d *discard) WriteRTP(h *rtp.Header, p []byte) (int, error) { d.n += len(p); return len(p), nil }
func (d *discard) Write(b []byte) (int, error)                   { return len(b), nil }

func benchSender(b testing.TB, red int) *sender {
	b.Helper()
	var muted atomic.Bool
	s, err := (&Config{Source: &audio.Tone{FrequencyHz: 300, Amplitude: 0.3}, REDDepth: red}).resolve()
	if err != nil {
		b.Fatal(err)
	}
	snd, err := newSender(s, &muted)
	if err != nil {
		b.Fatal(err)
	}
	snd.track.bound, snd.track.w, snd.track.ptOpus, snd.track.ptRED, snd.track.haveRED = true, &discard{}, ptOpus, ptRED, true
	return snd
}

// BenchmarkSendFrame measures the engine's per-frame send path (source, Opus encode at 32 kb/s
// complexity 9, packetize, RED) up to pion's writer; it must allocate nothing.
func BenchmarkSendFrame(b *testing.B) {
	for _, red := range []int{0, 2} {
		b.Run(map[int]string{0: "opus", 2: "red2"}[red], func(b *testing.B) {
			snd := benchSender(b, red)
			snd.sendFrame()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				snd.sendFrame()
			}
		})
	}
}

// TestPerFrameAllocs guards the zero-allocation contract of the per-frame paths.
func TestPerFrameAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	snd := benchSender(t, 2)
	snd.sendFrame()
	if a := testing.AllocsPerRun(100, func() { snd.sendFrame() }); a != 0 {
		t.Errorf("send path: %v allocs per frame", a)
	}
	step := receivePath(t)
	i := 0
	if a := testing.AllocsPerRun(300, func() { step(i); i++ }); a != 0 {
		t.Errorf("receive path: %v allocs per frame", a)
	}
}

// BenchmarkReceive measures the per-packet receive path (RTP parse, jitter-buffer push) plus the
// two 10 ms playout pulls of each 20 ms frame (decode, render); it must allocate nothing.
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

// receivePath returns a function that receives packet i of a 20 ms Opus stream and plays the
// two 10 ms chunks it covers, in virtual time.
func receivePath(b testing.TB) func(i int) {
	s, err := (&Config{}).resolve()
	if err != nil {
		b.Fatal(err)
	}
	r, err := newReceiver(s)
	if err != nil {
		b.Fatal(err)
	}
	enc, err := codec.NewEncoder(audio.SampleRateHz, codec.DefaultSettings())
	if err != nil {
		b.Fatal(err)
	}
	pcm := make([]float32, 960)
	(&audio.Tone{FrequencyHz: 300, Amplitude: 0.3}).Read(pcm)
	opus := make([]byte, codec.MaxPacketBytes)
	n, err := enc.Encode(pcm, opus)
	if err != nil {
		b.Fatal(err)
	}
	pkt := make([]byte, 12+n)
	hdr := rtp.Header{Version: 2, PayloadType: ptOpus, SSRC: 1}
	out := make([]float32, audio.SampleRateHz/100)
	// Virtual time: one packet and two pulls per 20 ms.
	at := time.Duration(0)
	step := func(i int) {
		hdr.SequenceNumber, hdr.Timestamp = uint16(i), uint32(i*960)
		hl, _ := hdr.MarshalTo(pkt)
		copy(pkt[hl:], opus[:n])
		r.receiveAt(pkt[:hl+n], -1, at)
		r.pull(at, out)
		r.pull(at+chunk, out)
		at += 2 * chunk
	}
	return step
}

// TestTune lowers the bitrate and raises the RED depth between frames: packets shrink, then
// carry a redundant copy; the per-frame path still allocates nothing without a pending change.
func TestTune(t *testing.T) {
	snd := benchSender(t, 0)
	c := &Call{send: snd}
	avg := func() float64 {
		d := snd.track.w.(*discard)
		d.n = 0
		for range 50 {
			snd.sendFrame()
		}
		return float64(d.n) / 50
	}
	before := avg()
	set := media.Settings{BitrateBps: 12000, Frame: 20 * time.Millisecond, FEC: true, LossHint: 0.1}
	if err := c.Tune(set); err != nil {
		t.Fatal(err)
	}
	after := avg()
	if after > before*0.6 {
		t.Errorf("mean packet %.0f bytes at 32 kb/s, %.0f after tuning to 12 kb/s", before, after)
	}
	set.REDDepth = 1
	if err := c.Tune(set); err != nil {
		t.Fatal(err)
	}
	red := avg()
	if red < after*1.4 {
		t.Errorf("mean packet %.0f bytes with RED depth 1, want well above %.0f", red, after)
	}
	if err := c.Tune(media.Settings{BitrateBps: 1, Frame: 20 * time.Millisecond}); !errors.Is(err, ErrConfig) {
		t.Errorf("Tune(1 b/s): %v", err)
	}
	if got := snd.inForce(); got != set {
		t.Errorf("settings in force %+v, want %+v", got, set)
	}
}
