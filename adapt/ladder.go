package adapt

import (
	"math"
	"time"
)

// Ladder thresholds (measured loss fractions) and settings, in the spirit of libtgvoip's rules:
// FEC with the measured loss, then 2-, 3- and 4-frame redundancy at 2, 5 and 8 % loss, then a
// higher jitter-buffer floor.
const (
	ladderFEC      = 0.01
	ladderRED1     = 0.02
	ladderRED2     = 0.05
	ladderRED3     = 0.08
	ladderFloor    = 120 * time.Millisecond // the higher buffer floor of RungFloor
	ladderBaseline = 40 * time.Millisecond  // the buffer floor below it
	ladderSpread   = 100 * time.Millisecond // delay p95 above base that, with RED3, adds the floor
	ladderMaxBps   = 32000                  // the ladder's bitrate ceiling
	ladderDown     = 0.7                    // bitrate factor on congestion
	ladderUp       = 1.1                    // bitrate factor otherwise (after MinHold)
)

// ladder is the rule-based decision used when the prediction is not trusted: everything comes
// from measurements (the windows), nothing from the model. From the RED2 rung on it sends 40 ms
// frames, so that the copies span 120–160 ms of audio and outlast a loss burst (on 20 % bursty
// loss 12 kb/s in 40 ms frames with RED depth 3 scored PESQ-WB 3.66 at 45.6 kb/s where 32 kb/s
// 20 ms RED 3 scored less at three times the rate), and it keeps the payload within
// MaxPayloadBps by lowering the bitrate, and the wire rate within a building queue's budget
// (congestionLimit).
func (p *Policy) ladder(now time.Duration, f *Features) Decision {
	mid, long := &f.Windows[1], &f.Windows[2]
	loss := max(mid.Loss, long.Loss)
	s := Settings{Frame: 20 * time.Millisecond}

	// Bitrate: back off multiplicatively while the delay grows or the path spreads the packets;
	// creep up to the ceiling otherwise, once the hold time has passed. Loss alone is answered
	// with redundancy (within the payload cap), not with a lower rate: random loss is not
	// congestion.
	b := float64(p.cur.BitrateBps)
	congested := mid.Gradient > 0.05 || (mid.Packets > 2 && mid.Dispersion < 0.8)
	switch {
	case congested:
		b *= ladderDown
	case now-p.lastChange >= p.cfg.MinHold:
		b *= ladderUp
	}
	s.BitrateBps = int(min(max(b, MinBitrateBps), ladderMaxBps))
	if s.BitrateBps <= 12000 {
		s.Frame = 40 * time.Millisecond // halve the header overhead at low rates
	}

	rung := RungPlain
	switch {
	case loss >= ladderRED3:
		rung = RungRED3
		if long.DelayP95 > ladderSpread {
			rung = RungFloor
		}
	case loss >= ladderRED2:
		rung = RungRED2
	case loss >= ladderRED1:
		rung = RungRED1
	case loss >= ladderFEC:
		rung = RungFEC
	}
	if rung >= RungFEC {
		s.FEC = true
		s.LossHint = clamp(loss, 0.01, 0.25)
	}
	if rung >= RungRED1 {
		s.REDDepth = min(rung-RungRED1+1, MaxREDDepth)
	}
	if rung >= RungRED2 {
		s.Frame = 40 * time.Millisecond
	}
	capWire := math.Inf(1)
	if cl, ok := congestionLimit(f); ok {
		capWire = cl
	}
	for s.BitrateBps > MinBitrateBps && (s.WireBps(0) > float64(p.cfg.MaxPayloadBps) || s.WireBps(p.cfg.OverheadBytes) > capWire) {
		s.BitrateBps = max(MinBitrateBps, s.BitrateBps-1000)
	}
	floor := ladderBaseline
	if rung == RungFloor {
		floor = ladderFloor
	}
	// The buffer covers the measured p95 delay spread plus a margin, and the redundancy depth.
	t := max(long.DelayP95+10*time.Millisecond, floor, time.Duration(s.REDDepth)*s.Frame)
	if p.decided && t < p.cur.JitterTarget {
		t = max(t, p.cur.JitterTarget-p.cfg.TargetMaxDrop)
	}
	s.JitterTarget = min(max(t, p.cfg.MinTarget), p.cfg.MaxTarget)
	c := Conditions{OneWay: oneWay(f), Loss: loss, MeanBurst: max(long.MeanBurst, 1),
		DelayP50: long.DelayP50, DelayP95: long.DelayP95, DelayP99: long.DelayP99}
	return Decision{Settings: s, Score: p.cfg.Quality.Score(&s, &c), WireBps: s.WireBps(p.cfg.OverheadBytes),
		Fallback: true, Rung: rung}
}
