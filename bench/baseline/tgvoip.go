package baseline

import (
	"math"
	"time"

	"github.com/parley-voice/parley/engine/jitter"
	"github.com/parley-voice/parley/engine/media"
)

// tgvoip-like baseline constants (in the spirit of Telegram's libtgvoip, which is in the public
// domain; the figures are ours where its server config decides).
const (
	tgvoipInitBps   = 16000
	tgvoipMinBps    = 8000
	tgvoipMaxBps    = 32000
	tgvoipStepBps   = 1000 // additive increase per tgvoipUpEvery
	tgvoipUpEvery   = time.Second
	tgvoipDown      = 0.8 // multiplicative decrease on delay growth
	tgvoipDownLoss  = 0.9 // ... and on heavy loss
	tgvoipHeavyLoss = 0.10
	tgvoipFrame     = 60 * time.Millisecond // libtgvoip's default outgoing frame
	tgvoipPeriod    = 500 * time.Millisecond
	tgvoipDelayRise = 30 * time.Millisecond // delay growth: recent mean one-way delay above the minimum by this
)

// TGVoIP is a libtgvoip-like sender as a media.Policy: additive 1 kb/s increases every second
// while there is neither loss nor delay growth, multiplicative decreases on delay growth or
// heavy loss, and the redundancy ladder (in-band FEC with the measured loss as hint at ≥ 1 %
// loss, then 2-, 3- and 4-frame redundancy at 2, 5 and 8 %). Its receiver is the engine's
// jitter buffer with a mean + 2σ target (TGVoIPTarget). Not safe for concurrent use.
type TGVoIP struct {
	cur      media.Settings
	lastUp   time.Duration
	recv     []report // arrivals reported in the last 10 s
	lossEWMA float64
}

// report is one arrival and when the sender learned of it.
type report struct {
	visible, arrival, send time.Duration
	seq                    uint16
}

// NewTGVoIP returns the tgvoip-like policy, starting at 16 kb/s in 60 ms frames.
func NewTGVoIP() *TGVoIP {
	return &TGVoIP{cur: media.Settings{BitrateBps: tgvoipInitBps, Frame: tgvoipFrame}}
}

// Initial implements media.Policy.
func (t *TGVoIP) Initial() media.Settings { return t.cur }

// Period implements media.Policy.
func (t *TGVoIP) Period() time.Duration { return tgvoipPeriod }

// OnSend implements media.Policy.
func (t *TGVoIP) OnSend(time.Duration, uint16, int) {}

// OnRTT implements media.Policy.
func (t *TGVoIP) OnRTT(time.Duration, time.Duration) {}

// OnFeedback implements media.Policy.
func (t *TGVoIP) OnFeedback(f *media.Feedback) {
	for _, a := range f.Arrivals {
		t.recv = append(t.recv, report{visible: f.Arrived, arrival: a.Arrived, send: a.Sent, seq: a.Seq})
	}
}

// Decide implements media.Policy.
func (t *TGVoIP) Decide(now time.Duration) (media.Decision, bool) {
	// Keep 10 s of feedback (by arrival).
	k := 0
	for k < len(t.recv) && now-t.recv[k].visible > 10*time.Second {
		k++
	}
	t.recv = append(t.recv[:0], t.recv[k:]...)
	// Loss over the packets reported in the last second: sequence gaps among them.
	var recent []report
	minOWD, meanOWD := time.Duration(math.MaxInt64), time.Duration(0)
	for _, f := range t.recv {
		minOWD = min(minOWD, f.arrival-f.send)
		if now-f.visible <= time.Second {
			recent = append(recent, f)
			meanOWD += f.arrival - f.send
		}
	}
	loss := 0.0
	if len(recent) > 0 {
		meanOWD /= time.Duration(len(recent))
		lo, hi := int(recent[0].seq), int(recent[0].seq)
		for _, f := range recent {
			lo, hi = min(lo, int(f.seq)), max(hi, int(f.seq))
		}
		if span := hi - lo + 1; span > 0 && span < 1000 {
			loss = max(0, 1-float64(len(recent))/float64(span))
		}
	}
	t.lossEWMA = 0.7*t.lossEWMA + 0.3*loss
	growth := len(recent) > 0 && meanOWD-minOWD > tgvoipDelayRise
	s := t.cur
	switch {
	case growth:
		s.BitrateBps = max(tgvoipMinBps, int(float64(s.BitrateBps)*tgvoipDown))
		t.lastUp = now
	case t.lossEWMA > tgvoipHeavyLoss:
		s.BitrateBps = max(tgvoipMinBps, int(float64(s.BitrateBps)*tgvoipDownLoss))
		t.lastUp = now
	case t.lossEWMA < 0.02 && now-t.lastUp >= tgvoipUpEvery:
		s.BitrateBps = min(tgvoipMaxBps, s.BitrateBps+tgvoipStepBps)
		t.lastUp = now
	}
	l := t.lossEWMA
	s.FEC, s.LossHint, s.REDDepth = l >= 0.01, 0, 0
	if s.FEC {
		s.LossHint = min(l, 0.3)
	}
	switch {
	case l >= 0.08:
		s.REDDepth = 3
	case l >= 0.05:
		s.REDDepth = 2
	case l >= 0.02:
		s.REDDepth = 1
	}
	t.cur = s
	return media.Decision{Settings: s}, true
}

// TGVoIPTarget returns the tgvoip-like receiver's jitter-buffer target policy (one per
// receiver: it keeps state): the mean plus two standard deviations of the relative arrival
// delay (exponentially weighted, ≈ 2 s memory), plus one playout chunk.
func TGVoIPTarget() jitter.TargetPolicy {
	var m, v float64
	n := 0
	return func(e jitter.Estimate) time.Duration {
		x := e.Last.Seconds()
		const a = 0.02
		if n == 0 {
			m = x
		}
		n++
		d := x - m
		m += a * d
		v = (1 - a) * (v + a*d*d)
		return time.Duration((m+2*math.Sqrt(v))*float64(time.Second)) + e.Chunk
	}
}
