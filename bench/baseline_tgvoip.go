package bench

import (
	"math"
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/engine/jitter"
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

// tgvoipPolicy is a libtgvoip-like sender: additive 1 kb/s increases every second while there is
// neither loss nor delay growth, multiplicative decreases on delay growth or heavy loss, and
// the redundancy ladder (in-band FEC with the measured loss as hint at ≥ 1 % loss, then 2-, 3-
// and 4-frame redundancy at 2, 5 and 8 %). Its receiver is the engine's jitter buffer with a
// mean + 2σ target (tgvoipReceiver).
type tgvoipPolicy struct {
	cur      adapt.Settings
	lastUp   time.Duration
	recv     []feedback // feedback of the last 10 s
	lastSeq  int        // highest sequence number reported, −1 before any
	lossEWMA float64
}

func newTGVoIPPolicy() *tgvoipPolicy {
	return &tgvoipPolicy{cur: adapt.Settings{BitrateBps: tgvoipInitBps, Frame: tgvoipFrame}, lastSeq: -1}
}

func (t *tgvoipPolicy) initial() adapt.Settings                 { return t.cur }
func (t *tgvoipPolicy) period() time.Duration                   { return tgvoipPeriod }
func (t *tgvoipPolicy) onSend(time.Duration, uint16, int)       {}
func (t *tgvoipPolicy) onFeedback(_ time.Duration, fb feedback) { t.recv = append(t.recv, fb) }

func (t *tgvoipPolicy) decide(now time.Duration) adapt.Decision {
	// Keep 10 s of feedback (by arrival).
	k := 0
	for k < len(t.recv) && now-t.recv[k].visible > 10*time.Second {
		k++
	}
	t.recv = append(t.recv[:0], t.recv[k:]...)
	// Loss over the packets reported in the last second: sequence gaps among them.
	var recent []feedback
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
	prev := t.cur
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
	return adapt.Decision{Settings: s, WireBps: s.WireBps(packetOverheadBytes), Changed: s != prev}
}

// tgvoipReceiver is the engine's jitter buffer with a target of the mean plus two standard
// deviations of the relative arrival delay (exponentially weighted, ≈ 2 s memory), plus one
// playout chunk.
func tgvoipReceiver() *AdaptiveReceiver {
	rx := &AdaptiveReceiver{Config: jitter.Config{FEC: true}}
	var m, v float64
	n := 0
	if rx.init() {
		rx.Buffer().SetTargetPolicy(func(e jitter.Estimate) time.Duration {
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
		})
	}
	return rx
}
