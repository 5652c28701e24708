package jitter

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/parley-voice/parley/codec"
)

const speechPath = "/usr/share/codec2/raw/speech_orig_16k.wav"

var (
	speechOnce sync.Once
	speech48   []float32
	speechErr  error
)

// loadSpeech returns the codec2 wideband sentence at 48 kHz (10.8 s), cached.
func loadSpeech(t testing.TB) []float32 {
	t.Helper()
	speechOnce.Do(func() {
		var a codec.Audio
		if a, speechErr = codec.ReadWAVFile(speechPath); speechErr != nil {
			return
		}
		speech48, speechErr = codec.Resample(a.Samples, a.SampleRateHz, rtpClockHz)
	})
	if speechErr != nil {
		t.Fatalf("real speech missing (scripts/deps.sh installs codec2-examples): %v", speechErr)
	}
	return speech48
}

// txPacket is one packet as sent: its send time and contents.
type txPacket struct {
	sentAt time.Duration
	p      Packet
}

// encode sends speech through a real Opus encoder and packetizer (20 ms frames), with RED
// depth red (0 for plain Opus).
func encode(t testing.TB, speech []float32, s codec.Settings, red int) []txPacket {
	t.Helper()
	const fs = rtpClockHz / 50
	enc, err := codec.NewEncoder(rtpClockHz, s)
	if err != nil {
		t.Fatal(err)
	}
	var rd *codec.Redundancy
	if red > 0 {
		if rd, err = codec.NewRedundancy(red, nil); err != nil {
			t.Fatal(err)
		}
	}
	var pz codec.Packetizer
	buf := make([]byte, codec.MaxPacketBytes)
	var out []txPacket
	for k := 0; (k+1)*fs <= len(speech); k++ {
		pcm := speech[k*fs : (k+1)*fs]
		n, err := enc.Encode(pcm, buf)
		if err != nil {
			t.Fatal(err)
		}
		h, send := pz.Next(n, 20*time.Millisecond)
		if !send {
			continue
		}
		p := Packet{SequenceNumber: h.SequenceNumber, Timestamp: h.Timestamp}
		if rd != nil {
			p.RED = true
			if p.Payload, err = rd.Pack(nil, 111, h.Timestamp, buf[:n], pcm); err != nil {
				t.Fatal(err)
			}
		} else {
			p.Payload = append([]byte(nil), buf[:n]...)
		}
		out = append(out, txPacket{sentAt: time.Duration(k) * 20 * time.Millisecond, p: p})
	}
	return out
}

// rxPacket is a packet arriving at the receiver.
type rxPacket struct {
	at time.Duration
	p  Packet
}

// deliver applies a per-packet delay function (returning drop to lose the packet) and sorts
// the arrivals by time (stable, so equal times keep send order).
func deliver(tx []txPacket, delay func(i int, sentAt time.Duration) (time.Duration, bool)) []rxPacket {
	var rx []rxPacket
	for i, p := range tx {
		d, drop := delay(i, p.sentAt)
		if !drop {
			rx = append(rx, rxPacket{at: p.sentAt + d, p: p.p})
		}
	}
	sort.SliceStable(rx, func(i, j int) bool { return rx[i].at < rx[j].at })
	return rx
}

// trace is a run's playout: the audio and, per 10 ms chunk, the stats after it.
type trace struct {
	out   []float32
	times []time.Duration
	stats []Stats
}

// run plays arrivals through b for dur of playout clock (10 ms chunks from time 0).
func run(t testing.TB, b *Buffer, rx []rxPacket, dur time.Duration) trace {
	t.Helper()
	const chunk = rtpClockHz / 100
	var tr trace
	buf := make([]float32, chunk)
	i := 0
	for at := time.Duration(0); at < dur; at += 10 * time.Millisecond {
		for ; i < len(rx) && rx[i].at <= at; i++ {
			_ = b.Push(rx[i].at, rx[i].p)
		}
		b.Pull(at, buf)
		tr.out = append(tr.out, buf...)
		tr.times = append(tr.times, at)
		tr.stats = append(tr.stats, b.Stats())
	}
	return tr
}

// window is the difference of the stats between chunk indexes i and j: mean delay etc.
func meanDelayBetween(a, b Stats) time.Duration {
	n := b.JitterBufferEmittedCount - a.JitterBufferEmittedCount
	if n == 0 {
		return 0
	}
	return time.Duration((b.JitterBufferDelay - a.JitterBufferDelay) / float64(n) * float64(time.Second))
}

func newBuffer(t testing.TB, cfg Config) *Buffer {
	t.Helper()
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
