package bench

import (
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/engine/jitter"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
)

// WebRTC-like baseline constants: GCC's bounds on the wire rate, and the rules on top of it.
const (
	webrtcStartWireBps = 52000 // ≈ 32 kb/s Opus in 20 ms frames, libwebrtc's default Opus rate
	webrtcMinWireBps   = 10000 //
	webrtcMaxWireBps   = 84000 // ≈ 64 kb/s Opus in 20 ms frames
	webrtcFeedback     = 100 * time.Millisecond
	webrtcFECOn        = 0.01 // FEC on above 1 % smoothed loss ...
	webrtcFECOff       = 0.005
	webrtcLongFrameBps = 16000 // ... 40/60 ms frames when the Opus rate would fall below this
	webrtcShortAgain   = 20000 // ... and back to 20 ms above this
)

// webrtcPolicy is a libwebrtc-like audio sender: pion's GCC (ported, see baseline_gcc.go) fed
// every 100 ms with transport-wide CC feedback that pion's twcc.Recorder builds from the
// arrivals the receiver saw, rule-based FEC (on above 1 % loss, with the smoothed loss as the
// encoder's hint) and frame-length switching (40 ms below 16 kb/s of Opus, 60 ms below 12 kb/s,
// back to 20 ms above 20 kb/s). Its receiver is the engine's jitter buffer with the default
// NetEq-like policy (95th percentile of the relative arrival delay).
type webrtcPolicy struct {
	bwe  *gcc
	rec  *twcc.Recorder
	sent map[uint16]gccAck
	cur  adapt.Settings
	loss float64 // smoothed reported loss
	acks []gccAck
	buf  []byte
}

func newWebRTCPolicy() *webrtcPolicy {
	return &webrtcPolicy{
		bwe:  newGCC(webrtcStartWireBps, webrtcMinWireBps, webrtcMaxWireBps),
		rec:  twcc.NewRecorder(1),
		sent: map[uint16]gccAck{},
		cur:  adapt.Settings{BitrateBps: 32000, Frame: 20 * time.Millisecond},
	}
}

func (w *webrtcPolicy) initial() adapt.Settings { return w.cur }
func (w *webrtcPolicy) period() time.Duration   { return webrtcFeedback }
func (w *webrtcPolicy) onSend(at time.Duration, seq uint16, size int) {
	w.sent[seq] = gccAck{departure: at, arrival: -1, size: size}
}
func (w *webrtcPolicy) onFeedback(_ time.Duration, fb feedback) {
	w.rec.Record(2, fb.seq, fb.arrival.Microseconds())
}

func (w *webrtcPolicy) decide(now time.Duration) adapt.Decision {
	for _, p := range w.rec.BuildFeedbackPacket() {
		// Over the wire and back, as a real sender would get it.
		raw, err := rtcp.Marshal([]rtcp.Packet{p})
		if err != nil {
			continue
		}
		pkts, err := rtcp.Unmarshal(raw)
		if err != nil {
			continue
		}
		for _, q := range pkts {
			fb, ok := q.(*rtcp.TransportLayerCC)
			if !ok {
				continue
			}
			w.acks = w.acks[:0]
			lost := 0
			_ = twccAcks(fb, func(seq uint16, arr time.Duration, received bool) {
				a, ok := w.sent[seq]
				if !ok {
					return
				}
				delete(w.sent, seq)
				if received {
					a.arrival = arr
				} else {
					lost++
				}
				w.acks = append(w.acks, a)
			})
			w.bwe.onFeedback(now, w.acks)
			if len(w.acks) > 0 {
				w.loss = 0.9*w.loss + 0.1*float64(lost)/float64(len(w.acks))
			}
		}
	}
	prev := w.cur
	s := w.cur
	est := w.bwe.Estimate()
	overhead := func(f time.Duration) int { return int(float64(packetOverheadBytes*8) / f.Seconds()) }
	opus := est - overhead(s.Frame)
	switch {
	case s.Frame == 20*time.Millisecond && opus < webrtcLongFrameBps:
		s.Frame = 40 * time.Millisecond
		if est-overhead(s.Frame) < 12000 {
			s.Frame = 60 * time.Millisecond
		}
	case s.Frame == 40*time.Millisecond && est-overhead(s.Frame) < 12000:
		s.Frame = 60 * time.Millisecond
	case s.Frame > 20*time.Millisecond && est-overhead(20*time.Millisecond) > webrtcShortAgain:
		s.Frame = 20 * time.Millisecond
	}
	s.BitrateBps = clampInt(est-overhead(s.Frame), adapt.MinBitrateBps, adapt.MaxBitrateBps)
	switch {
	case !s.FEC && w.loss > webrtcFECOn:
		s.FEC = true
	case s.FEC && w.loss < webrtcFECOff:
		s.FEC = false
	}
	s.LossHint = 0
	if s.FEC {
		s.LossHint = min(w.loss, 0.3)
	}
	w.cur = s
	return adapt.Decision{Settings: s, WireBps: s.WireBps(packetOverheadBytes), Changed: s != prev}
}

// webrtcReceiver is the NetEq-like buffer: jitter's default policy.
func webrtcReceiver() *AdaptiveReceiver { return &AdaptiveReceiver{Config: jitter.Config{FEC: true}} }
