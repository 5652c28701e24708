package jitter_test

import (
	"fmt"
	"math"
	"time"

	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/engine/jitter"
)

// A receiver pushes packets as they arrive and pulls 10 ms of audio per tick of the playout
// clock. Here one second of a tone crosses a link with 30 ms of delay, in virtual time.
func Example() {
	enc, _ := codec.NewEncoder(48000, codec.DefaultSettings())
	buf, _ := jitter.New(jitter.Config{FEC: true})
	type arrival struct {
		at time.Duration
		p  jitter.Packet
	}
	var inFlight []arrival
	pcm := make([]float32, 960)
	pkt := make([]byte, codec.MaxPacketBytes)
	out := make([]float32, 480)
	var pz codec.Packetizer
	for tick := 0; tick < 110; tick++ { // 10 ms ticks
		now := time.Duration(tick) * 10 * time.Millisecond
		if tick%2 == 0 && tick < 100 { // the sender emits a 20 ms frame every other tick
			for i := range pcm {
				pcm[i] = float32(0.3 * math.Sin(2*math.Pi*440*float64(tick*480+i)/48000))
			}
			n, _ := enc.Encode(pcm, pkt)
			if h, send := pz.Next(n, 20*time.Millisecond); send {
				p := jitter.Packet{SequenceNumber: h.SequenceNumber, Timestamp: h.Timestamp, Payload: append([]byte(nil), pkt[:n]...)}
				inFlight = append(inFlight, arrival{now + 30*time.Millisecond, p})
			}
		}
		for len(inFlight) > 0 && inFlight[0].at <= now {
			_ = buf.Push(now, inFlight[0].p)
			inFlight = inFlight[1:]
		}
		buf.Pull(now, out)
	}
	s := buf.Stats()
	fmt.Println("packets:", s.PacketsReceived, "lost:", s.PacketsLost, "concealment events:", s.ConcealmentEvents)
	fmt.Println("target:", s.TargetDelay)
	// Output:
	// packets: 50 lost: 0 concealment events: 0
	// target: 20ms
}

// The adaptation layer replaces the target policy; here, the 99th percentile of the relative
// delay plus 10 ms, never under 40 ms (the buffer still clamps to MinTarget and MaxTarget).
func ExampleBuffer_SetTargetPolicy() {
	buf, err := jitter.New(jitter.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	buf.SetTargetPolicy(func(e jitter.Estimate) time.Duration {
		return max(e.Quantile(0.99)+10*time.Millisecond, 40*time.Millisecond)
	})
	fmt.Println(buf.Target()) // the initial target until the first packet
	// Output: 20ms
}
