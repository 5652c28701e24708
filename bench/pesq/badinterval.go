package pesq

import "math"

// badInterval is a run of frames whose disturbance suggests a local misalignment.
type badInterval struct {
	startF, stopF int // frames [startF, stopF)
	startS, stopS int // samples [startS, stopS]
	delay         int
}

// badScratch holds the buffers of stage 16 between comparisons.
type badScratch struct {
	bad, smeared    []bool
	intervals       []badInterval
	tweaked, doubly []float64
	ref, deg        []float64
}

// realignBadIntervals runs stage 16: runs of at least minBadFrames smeared bad frames are
// re-aligned by a cross-correlation of sample magnitudes around them, and each of their frames
// keeps the smaller of its old and new disturbances.
func (m *model) realignBadIntervals() {
	a := m.a
	off := searchBuffer * a.down
	half := m.nf / 2
	n := m.stopF + 1
	total := a.maxN + a.pad

	sc := &m.bad
	bad := grow(&sc.bad, n)
	for f := 1; f < n; f++ {
		bad[f] = m.dist[f] > badFrameThreshold
	}
	smeared := grow(&sc.smeared, n)
	for f := badFrameSmear; f < m.stopF-badFrameSmear; f++ {
		left, right := bad[f], bad[f]
		for i := -badFrameSmear; i <= 0; i++ {
			left = left || bad[f+i]
		}
		for i := 0; i <= badFrameSmear; i++ {
			right = right || bad[f+i]
		}
		smeared[f] = left && right
	}

	intervals := sc.intervals[:0]
	defer func() { sc.intervals = intervals[:0] }()
	for f := 0; f <= m.stopF; {
		for f <= m.stopF && !smeared[f] {
			f++
		}
		if f > m.stopF {
			break
		}
		start := f
		for f <= m.stopF && smeared[f] {
			f++
		}
		if f <= m.stopF && f-start >= minBadFrames {
			intervals = append(intervals, badInterval{startF: start, stopF: f})
		}
	}
	if len(intervals) == 0 {
		return
	}

	// The degraded signal re-timed by the utterance delays.
	tweaked := grow(&sc.tweaked, total)
	for i := off; i < total-off; i++ {
		j := i + a.delayAt(i)
		j = min(max(j, off), total-1)
		tweaked[i] = a.degModel[j]
	}

	search := badSearchNf * m.nf
	limit := a.maxN - off + a.pad
	for k := range intervals {
		iv := &intervals[k]
		iv.startS = iv.startF*half + off
		iv.stopS = iv.stopF*half + m.nf - 1 + off
		iv.stopF = min(iv.stopF, m.stopF)
		cnt := iv.stopS - iv.startS + 1
		ref := grow(&sc.ref, 2*search+cnt)
		deg := grow(&sc.deg, 2*search+cnt)
		for i := 0; i < cnt && iv.startS+i < total; i++ {
			ref[search+i] = a.refModel[iv.startS+i]
		}
		for i := range deg {
			j := iv.startS - search + i
			j = min(max(j, off), limit-1)
			deg[i] = tweaked[j]
		}
		delay, corr := a.magnitudeDelay(ref, deg, search)
		if corr < 0.5 {
			delay = 0
		}
		iv.delay = delay
	}

	doubly := grow(&sc.doubly, len(tweaked))
	copy(doubly, tweaked)
	for _, iv := range intervals {
		for i := iv.startS; i < iv.stopS && i < total; i++ {
			j := min(max(i+iv.delay, 0), a.maxN-1)
			doubly[i] = tweaked[j]
		}
	}

	for _, iv := range intervals {
		for f := iv.startF; f < iv.stopF; f++ {
			m.barkSpectrum(m.degBark[f], doubly, off+f*half)
		}
		old := 1.0
		for f := iv.startF; f < iv.stopF; f++ {
			var d, as float64
			d, as, old = m.frameDisturbance(f, old)
			m.dist[f] = math.Min(m.dist[f], d)
			m.asym[f] = math.Min(m.asym[f], as)
		}
	}
}

// magnitudeDelay returns the lag within ±search (samples) maximising the normalised
// cross-correlation of |x| and |y|, and that correlation (0 … 1).
func (s *scratch) magnitudeDelay(x, y []float64, search int) (int, float64) {
	n := len(x)
	px, py := sumSquares(x), sumSquares(y)
	p2 := nextPow2(2 * n)
	if px/float64(p2) <= 1e-6 || py/float64(p2) <= 1e-6 {
		return 0, 0
	}
	norm := math.Sqrt(px * py)
	bx := grow(&s.r1, p2)
	by := grow(&s.r2, p2)
	for i := 0; i < n; i++ {
		bx[i] = math.Abs(x[i])
		by[i] = math.Abs(y[i])
	}
	plan := s.plans.get(p2)
	cx := plan.Coefficients(grow(&s.c1, p2/2+1), bx)
	cy := plan.Coefficients(grow(&s.c2, p2/2+1), by)
	for i := range cx {
		r, g := real(cx[i]), imag(cx[i])
		cx[i] = complex(r, -g) * cy[i]
	}
	c := plan.Sequence(bx, cx)
	inv := 1 / float64(p2)
	best, bestLag := 0.0, 0
	for lag := -search; lag < search; lag++ {
		idx := lag
		if idx < 0 {
			idx += p2
		}
		h := math.Abs(c[idx]) * inv / norm
		if h > best {
			best, bestLag = h, lag
		}
	}
	return bestLag, best
}
