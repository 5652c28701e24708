package jitter

import (
	"testing"
	"time"

	"github.com/parley-voice/parley/codec"
)

// steadyState returns a buffer that has played the first second of tx (20 ms packets, 30 ms
// link), and a function that feeds it the next packet and pulls 20 ms, cycling through tx.
func steadyState(t testing.TB, cfg Config, tx []txPacket) func() {
	b := newBuffer(t, cfg)
	out := make([]float32, 480)
	var at time.Duration
	k, lap := 0, uint32(0)
	period := uint32(len(tx)) * 960 // timestamps advance by the clip per lap (no DTX in tx)
	step := func() {
		p := tx[k].p
		p.SequenceNumber += uint16(lap * uint32(len(tx)))
		p.Timestamp += lap * period
		_ = b.Push(at+30*time.Millisecond, p)
		b.Pull(at+30*time.Millisecond, out)
		b.Pull(at+40*time.Millisecond, out)
		at += 20 * time.Millisecond
		if k++; k == len(tx) {
			k, lap = 0, lap+1
		}
	}
	for range 50 {
		step()
	}
	return step
}

func noDTX(t testing.TB, red int) []txPacket {
	set := codec.DefaultSettings()
	set.DTX = false
	return encode(t, loadSpeech(t)[:2*rtpClockHz], set, red)
}

func TestPushPullAllocateNothing(t *testing.T) {
	for _, red := range []int{0, 2} {
		step := steadyState(t, Config{FEC: true}, noDTX(t, red))
		if a := testing.AllocsPerRun(500, step); a != 0 {
			t.Fatalf("RED depth %d: %v allocations per Push+Pull, want 0", red, a)
		}
	}
}

// BenchmarkPushPull measures one 20 ms frame: a Push and two 10 ms Pulls with decoding.
func BenchmarkPushPull(b *testing.B) {
	for _, c := range []struct {
		name string
		red  int
	}{{"opus", 0}, {"red2", 2}} {
		b.Run(c.name, func(b *testing.B) {
			step := steadyState(b, Config{FEC: true}, noDTX(b, c.red))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				step()
			}
		})
	}
}

// BenchmarkStretch measures a 20 ms frame while the target swings, so the buffer keeps
// stretching speech.
func BenchmarkStretch(b *testing.B) {
	tx := noDTX(b, 0)
	bf := newBuffer(b, Config{MaxStretchRate: 0.5})
	n := 0
	bf.SetTargetPolicy(func(Estimate) time.Duration {
		n++
		if n/100%2 == 0 {
			return 200 * time.Millisecond
		}
		return 20 * time.Millisecond
	})
	out := make([]float32, 480)
	var at time.Duration
	k, lap := 0, uint32(0)
	b.ReportAllocs()
	for b.Loop() {
		p := tx[k].p
		p.SequenceNumber += uint16(lap * uint32(len(tx)))
		p.Timestamp += lap * uint32(len(tx)) * 960
		_ = bf.Push(at, p)
		bf.Pull(at, out)
		bf.Pull(at+10*time.Millisecond, out)
		at += 20 * time.Millisecond
		if k++; k == len(tx) {
			k, lap = 0, lap+1
		}
	}
	s := bf.Stats()
	b.ReportMetric(float64(s.InsertedSamplesForDeceleration+s.RemovedSamplesForAcceleration)/float64(s.TotalSamplesReceived+1), "stretched/sample")
}

// BenchmarkDecodeOnly is the Opus decoding inside BenchmarkPushPull/opus, for comparison: the
// buffer's own cost is the difference.
func BenchmarkDecodeOnly(b *testing.B) {
	tx := noDTX(b, 0)
	dec, err := codec.NewDecoder(rtpClockHz)
	if err != nil {
		b.Fatal(err)
	}
	pcm := make([]float32, maxFrameSamples)
	k := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dec.Decode(tx[k].p.Payload, pcm); err != nil {
			b.Fatal(err)
		}
		if k++; k == len(tx) {
			k = 0
		}
	}
}
