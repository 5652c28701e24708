package jitter

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/parley-voice/parley/codec"
)

// FuzzBuffer feeds arbitrary packet sequences — sequence numbers, timestamps, arrival steps,
// RED or plain payload bytes — interleaved with playout, and checks that nothing panics, the
// audio stays finite and the counters stay consistent. Each record is
// flags(1) seq(2) ts(4) dt(1, ms) len(1) payload(len).
func FuzzBuffer(f *testing.F) {
	set := codec.DefaultSettings()
	tx := encode(f, loadSpeech(f)[:rtpClockHz/2], set, 0)
	txr := encode(f, loadSpeech(f)[:rtpClockHz/2], set, 2)
	rec := func(flags byte, p Packet, dt byte) []byte {
		b := []byte{flags}
		b = binary.BigEndian.AppendUint16(b, p.SequenceNumber)
		b = binary.BigEndian.AppendUint32(b, p.Timestamp)
		n := min(len(p.Payload), 255)
		b = append(b, dt, byte(n))
		return append(b, p.Payload[:n]...)
	}
	var seed, seedRED []byte
	for i := range tx {
		seed = append(seed, rec(byte(i%3&2), tx[(i*7)%len(tx)].p, 20)...)
	}
	for _, p := range txr {
		seedRED = append(seedRED, rec(1, p.p, 20)...)
	}
	f.Add(seed)
	f.Add(seedRED)
	f.Add([]byte{1, 0, 1, 0, 0, 0, 0, 5, 3, 0xef, 0xff, 0xff})
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 255, 2, 0xfb, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xf8})

	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := New(Config{FEC: data != nil && len(data)%2 == 0, Capacity: 16})
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float32, 480)
		var at, clock time.Duration
		pushes := 0
		for len(data) >= 9 {
			flags := data[0]
			p := Packet{
				SequenceNumber: binary.BigEndian.Uint16(data[1:]),
				Timestamp:      binary.BigEndian.Uint32(data[3:]),
				RED:            flags&1 != 0,
			}
			at += time.Duration(data[7]) * time.Millisecond
			n := min(int(data[8]), len(data)-9)
			p.Payload = data[9 : 9+n]
			data = data[9+n:]
			for clock < at { // times never decrease: play what is due before this arrival

				b.Pull(clock, out)
				clock += 10 * time.Millisecond
				for _, v := range out {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || math.Abs(float64(v)) > 1 {
						t.Fatalf("output sample %v", v)
					}
				}
			}
			_ = b.Push(at, p)
			pushes++
		}
		s := b.Stats()
		switch {
		case s.PacketsReceived != uint64(pushes):
			t.Fatalf("PacketsReceived %d, pushed %d", s.PacketsReceived, pushes)
		case s.PacketsDuplicated+s.PacketsDiscarded+s.PacketsMalformed > s.PacketsReceived:
			t.Fatalf("more packets dropped than received: %+v", s)
		// Concealment and comfort noise are counted when rendered, up to a frame (and a
		// stretch) ahead of playout.
		case s.JitterBufferEmittedCount > s.TotalSamplesReceived, s.ConcealedSamples > s.TotalSamplesReceived+maxFrameSamples+maxLag,
			s.SilentConcealedSamples > s.ConcealedSamples, s.DTXSamples > s.TotalSamplesReceived+maxFrameSamples+maxLag:
			t.Fatalf("sample counters inconsistent: %+v", s)
		case s.JitterBufferDelay < 0, s.JitterBufferTargetDelay < 0, s.PacketsLost < 0, s.BufferLevel < 0:
			t.Fatalf("negative counters: %+v", s)
		case s.FramesDecoded+s.FramesRecoveredRED+s.FramesRecoveredFEC > s.PacketsReceived*uint64(1+codec.MaxREDRedundancy+8):
			t.Fatalf("more frames than packets: %+v", s)
		}
	})
}
