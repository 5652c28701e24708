package baseline

import (
	"time"

	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/engine/media"
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

// WebRTC is a libwebrtc-like audio sender as a media.Policy: pion's GCC (ported, see gcc.go)
// fed every 100 ms with transport-wide CC feedback that pion's twcc.Recorder builds from the
// arrivals the receiver reported, rule-based FEC (on above 1 % loss, with the smoothed loss as
// the encoder's hint) and frame-length switching (40 ms below 16 kb/s of Opus, 60 ms below
// 12 kb/s, back to 20 ms above 20 kb/s). Its receiver is the engine's jitter buffer with the
// default NetEq-like policy (95th percentile of the relative arrival delay). Not safe for
// concurrent use.
type WebRTC struct {
	bwe  *gcc
	rec  *twcc.Recorder
	sent map[uint16]gccAck
	cur  media.Settings
	loss float64 // smoothed reported loss
	acks []gccAck
}

// NewWebRTC returns the webrtc-like policy, starting at 32 kb/s in 20 ms frames.
func NewWebRTC() *WebRTC {
	return &WebRTC{
		bwe:  newGCC(webrtcStartWireBps, webrtcMinWireBps, webrtcMaxWireBps),
		rec:  twcc.NewRecorder(1),
		sent: map[uint16]gccAck{},
		cur:  media.Settings{BitrateBps: 32000, Frame: 20 * time.Millisecond},
	}
}

// Initial implements media.Policy.
func (w *WebRTC) Initial() media.Settings { return w.cur }

// Period implements media.Policy: TWCC feedback is processed every 100 ms.
func (w *WebRTC) Period() time.Duration { return webrtcFeedback }

// OnSend implements media.Policy.
func (w *WebRTC) OnSend(at time.Duration, seq uint16, size int) {
	w.sent[seq] = gccAck{departure: at, arrival: -1, size: size}
}

// OnFeedback implements media.Policy: the arrivals go to the TWCC recorder, as a receiver's
// transport-wide CC interceptor would record them.
func (w *WebRTC) OnFeedback(f *media.Feedback) {
	for _, a := range f.Arrivals {
		w.rec.Record(2, a.Seq, a.Arrived.Microseconds())
	}
}

// OnRTT implements media.Policy (GCC here uses none).
func (w *WebRTC) OnRTT(time.Duration, time.Duration) {}

// Decide implements media.Policy.
func (w *WebRTC) Decide(now time.Duration) (media.Decision, bool) {
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
	s := w.cur
	est := w.bwe.Estimate()
	overhead := func(f time.Duration) int { return int(float64(media.OverheadBytes*8) / f.Seconds()) }
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
	return media.Decision{Settings: s}, true
}
