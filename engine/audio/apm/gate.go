package apm

import "math"

// Gate thresholds, on the spread between the loudest and the quietest 10 ms frame of the last
// gateFrames (peak speech over the noise floor; the active speech level sits some 5–10 dB
// under the peak). Noise suppression turns off above gateOffDB and back on below gateOnDB:
// a noise floor 35–40 dB or more under the talker is barely audible, and webrtc's
// suppressor then takes more of the speech than it removes noise.
const (
	gateFrames = 300  // 3 s of 10 ms frames: the minimum-statistics window (speech pauses in it)
	gateOffDB  = 45.0 // spread above which suppression turns off
	gateOnDB   = 40.0 // spread below which it turns back on
	gateHold   = 30   // frames a new verdict must hold before it takes effect (0.3 s)
	gateWarmup = 100  // frames before the first full verdict (1 s; the window fills over 3 s)
	// An early verdict at gateEarly frames turns suppression on at once if the spread is
	// under gateEarlyOnDB: in 0.5 s, speech swings by more than that between syllables
	// unless noise fills the gaps.
	gateEarly     = 50
	gateEarlyOnDB = 25.0
	gateFloorDB   = -100 // frame power floor: digital silence counts as very quiet, not -Inf
)

// noiseGate decides, frame by frame, whether noise suppression runs, from the capture
// stream's noise floor (the quietest frame of the last 3 s, minimum statistics) and its
// peak. The zero value is ready; suppression stays off until the first verdict, after gateWarmup frames. Not safe for concurrent
// use (the Processor's mutex guards it).
type noiseGate struct {
	pow      [gateFrames]float32 // frame powers in dBFS, a ring
	pos, n   int
	off      bool // suppression is off
	pending  int  // frames the opposite verdict has held
	spreadDB float32
}

// update takes one capture frame and reports whether suppression should run for it.
func (g *noiseGate) update(frame []float32) bool {
	var e float64
	for _, v := range frame {
		e += float64(v) * float64(v)
	}
	p := float32(gateFloorDB)
	if e > 0 {
		p = max(p, float32(10*math.Log10(e/float64(len(frame)))))
	}
	if g.n == 0 {
		// Off until the first verdict: suppressing the first frames of clean speech costs
		// more (webrtc's suppressor starts from a guess of the noise) than leaving 1 s of
		// noise in.
		g.off = true
	}
	g.pow[g.pos] = p
	g.pos = (g.pos + 1) % gateFrames
	g.n = min(g.n+1, gateFrames)
	lo, hi := g.pow[0], g.pow[0]
	for _, v := range g.pow[1:g.n] {
		lo, hi = min(lo, v), max(hi, v)
	}
	g.spreadDB = hi - lo
	flip := (!g.off && g.spreadDB > gateOffDB) || (g.off && g.spreadDB < gateOnDB)
	switch {
	case g.n == gateEarly && g.spreadDB < gateEarlyOnDB:
		g.off = false
		return true
	case g.n < gateWarmup:
		return !g.off
	case g.n == gateWarmup:
		if flip { // the first full verdict, at once
			g.off = !g.off
		}
		return !g.off
	}
	if !flip {
		g.pending = 0
		return !g.off
	}
	if g.pending++; g.pending >= gateHold {
		g.off, g.pending = !g.off, 0
	}
	return !g.off
}
