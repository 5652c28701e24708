package pesq

import "math"

// Constants of the perceptual model (stages 9–19).
const (
	silentFramePower  = 1e7  // audible reference power under which a frame is silent
	freqCompConst     = 1000 // regulariser of the frequency-response compensation
	gainCompConst     = 5e3  // regulariser of the local gain compensation
	maxGainScale      = 5.0
	minGainScale      = 3e-4
	zwickerPower      = 0.23
	badFrameThreshold = 30
	badFrameSmear     = 2
	minBadFrames      = 5
	badSearchNf       = 4 // bad-interval search range, in model frames
	maxFrameDist      = 45
	syllableFrames    = 20
	dWeight           = 0.1
	aWeight           = 0.0309
)

// model holds the per-frame Bark spectra and disturbances of stages 9–18.
type model struct {
	a        *analysis
	nf       int // frame length
	win      []float64
	nb       int
	startF   int
	stopF    int
	refBark  [][]float64
	degBark  [][]float64
	silent   []bool
	refPower []float64    // audible reference power per frame (after compensation)
	dist     []float64    // symmetric frame disturbance
	asym     []float64    // asymmetric frame disturbance
	lExp     []float64    // loudness exponent per band
	lScale   []float64    // loudness scale per band
	spec     []float64    // scratch: power spectrum of one frame
	frame    []float64    // scratch: windowed frame
	coef     []complex128 // scratch: its FFT
	bark     []float64    // backing store of refBark and degBark
	tw       []float64    // time weights of stage 17
	bad      badScratch   // buffers of stage 16
}

// perceptualModel runs stages 9–19 on the model-path signals and returns the raw score.
func (a *analysis) perceptualModel() float64 {
	m := &a.m
	m.a, m.nf, m.nb = a, 8*a.down, len(a.bands.hzBinsPerBand)
	m.win = a.hann(m.nf)
	m.initLoudness()
	m.spec = grow(&m.spec, m.nf/2)
	m.frame = grow(&m.frame, m.nf)
	m.coef = grow(&m.coef, m.nf/2+1)
	off := searchBuffer * a.down
	half := m.nf / 2

	// Skip leading and trailing silence of the reference.
	skipStart := 0
	for skipStart < a.maxN/2 && absSum(a.refModel[off+skipStart:off+skipStart+5]) < silence5Samples {
		skipStart++
	}
	skipEnd := 0
	endIdx := a.maxN - off + a.pad
	for skipEnd < a.maxN/2 && absSum(a.refModel[endIdx-skipEnd-5:endIdx-skipEnd]) < silence5Samples {
		skipEnd++
	}
	m.startF = skipStart / half
	m.stopF = (a.maxN-2*off+a.pad-skipEnd)/half - 1
	nFrames := m.stopF + 1
	if nFrames < 1 {
		return 4.5
	}
	bark := grow(&m.bark, 2*nFrames*m.nb)
	m.refBark = grow(&m.refBark, nFrames)
	m.degBark = grow(&m.degBark, nFrames)
	for f := range nFrames {
		m.refBark[f] = bark[(2*f)*m.nb : (2*f+1)*m.nb : (2*f+1)*m.nb]
		m.degBark[f] = bark[(2*f+1)*m.nb : (2*f+2)*m.nb : (2*f+2)*m.nb]
	}
	m.silent = grow(&m.silent, nFrames)
	m.refPower = grow(&m.refPower, nFrames)
	m.dist = grow(&m.dist, nFrames)
	m.asym = grow(&m.asym, nFrames)

	for f := 0; f < nFrames; f++ {
		sr := off + f*half
		m.barkSpectrum(m.refBark[f], a.refModel, sr)
		sd := sr + a.delayAt(sr)
		if sd > 0 && sd+m.nf < a.maxN+a.pad {
			m.barkSpectrum(m.degBark[f], a.degModel, sd)
		}
		m.silent[f] = m.audible(m.refBark[f], 100) < silentFramePower
	}

	// Frequency-response compensation of the reference (stage 11).
	totalFrames := (a.maxN-2*off+a.pad)/half - 1
	avgRef := m.avgAudible(m.refBark, totalFrames)
	avgDeg := m.avgAudible(m.degBark, totalFrames)
	for b := 0; b < m.nb; b++ {
		x := (avgDeg[b] + freqCompConst) / (avgRef[b] + freqCompConst)
		x = math.Min(math.Max(x, 0.01), 100)
		for f := range m.refBark {
			m.refBark[f][b] *= x
		}
	}

	badFound := false
	old := 1.0
	for f := 0; f < nFrames; f++ {
		m.refPower[f] = m.audible(m.refBark[f], 1)
		m.dist[f], m.asym[f], old = m.frameDisturbance(f, old)
		if m.dist[f] > badFrameThreshold {
			badFound = true
		}
	}
	m.skipDelayJumps()
	if badFound {
		m.realignBadIntervals()
	}
	return m.aggregate()
}

func absSum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += math.Abs(v)
	}
	return s
}

// delayAt returns the delay of the utterance in force at reference sample s.
func (a *analysis) delayAt(s int) int {
	for i := len(a.utts) - 1; i >= 0; i-- {
		if a.utts[i].start*a.down <= s {
			return a.utts[i].delay
		}
	}
	return a.utts[0].delay
}

// barkSpectrum writes to out (nb values) the Bark-band power densities of the Hann-windowed
// frame at x[start:].
func (m *model) barkSpectrum(out, x []float64, start int) {
	for i := range m.frame {
		m.frame[i] = x[start+i] * m.win[i]
	}
	c := m.a.plans.get(m.nf).Coefficients(m.coef, m.frame)
	for k := range m.spec {
		m.spec[k] = real(c[k])*real(c[k]) + imag(c[k])*imag(c[k])
	}
	m.spec[0] = 0
	bands := m.a.bands
	k := 0
	for b, nbins := range bands.hzBinsPerBand {
		var s float64
		for i := 0; i < nbins; i++ {
			s += m.spec[k]
			k++
		}
		out[b] = s * bands.powDensCorr[b] * bands.sp
	}
}

// audible sums the band powers above factor times the hearing threshold, band 0 excluded.
func (m *model) audible(p []float64, factor float64) float64 {
	var s float64
	th := m.a.bands.absThresh
	for b := 1; b < m.nb; b++ {
		if p[b] > factor*th[b] {
			s += p[b]
		}
	}
	return s
}

// avgAudible averages, over non-silent frames, the band powers more than 100 times above the
// threshold, dividing by the nominal frame count.
func (m *model) avgAudible(p [][]float64, total int) []float64 {
	avg := make([]float64, m.nb)
	th := m.a.bands.absThresh
	for f, frame := range p {
		if m.silent[f] {
			continue
		}
		for b, v := range frame {
			if v > 100*th[b] {
				avg[b] += v
			}
		}
	}
	if total > 0 {
		for b := range avg {
			avg[b] /= float64(total)
		}
	}
	return avg
}

// frameDisturbance compensates the local gain of degraded frame f (stage 12, with the
// smoothing state old) and returns its symmetric and asymmetric disturbances (stages 13–15)
// and the new smoothing state.
func (m *model) frameDisturbance(f int, old float64) (dist, asym, next float64) {
	ref, deg := m.refBark[f], m.degBark[f]
	scale := (m.audible(ref, 1) + gainCompConst) / (m.audible(deg, 1) + gainCompConst)
	if f > 0 {
		scale = 0.2*old + 0.8*scale
	}
	next = scale
	scale = math.Min(math.Max(scale, minGainScale), maxGainScale)
	for b := range deg {
		deg[b] *= scale
	}
	bands := m.a.bands
	var dSum, aSum, wSum float64
	for b := 0; b < m.nb; b++ {
		lr := m.loudness(ref[b], b)
		ld := m.loudness(deg[b], b)
		d := ld - lr
		dz := 0.25 * math.Min(lr, ld)
		switch {
		case d > dz:
			d -= dz
		case d < -dz:
			d += dz
		default:
			d = 0
		}
		if b == 0 {
			continue
		}
		// Asymmetry factor ((deg+50)/(ref+50))^1.2, zero below 3 and capped at 12; the power is
		// only evaluated where the ratio can reach 3 (2.49^1.2 < 3).
		h := 0.0
		if ratio := (deg[b] + 50) / (ref[b] + 50); d != 0 && ratio >= 2.49 {
			h = math.Pow(ratio, 1.2)
			if h > 12 {
				h = 12
			} else if h < 3 {
				h = 0
			}
		}
		w := bands.widthBark[b]
		dSum += (math.Abs(d) * w) * (math.Abs(d) * w)
		aSum += math.Abs(d*h) * w
		wSum += w
	}
	dist = math.Sqrt(dSum/wSum) * wSum
	asym = aSum
	return dist, asym, next
}

// loudness is Zwicker's law for band b (stage 13), with the per-band exponent and scale from
// initLoudness.
func (m *model) loudness(p float64, b int) float64 {
	th := m.a.bands.absThresh[b]
	if !(p > th) {
		return 0
	}
	return m.lScale[b] * (math.Pow(0.5+0.5*p/th, m.lExp[b]) - 1)
}

// initLoudness precomputes, per band, the modified Zwicker exponent (larger below 4 Bark) and
// the factor Sl·(threshold/0.5)^exponent.
func (m *model) initLoudness() {
	bands := m.a.bands
	m.lExp = grow(&m.lExp, m.nb)
	m.lScale = grow(&m.lScale, m.nb)
	for b := range m.lExp {
		h := 1.0
		if bark := bands.centreBark[b]; bark < 4 {
			h = 6 / (bark + 2)
		}
		g := zwickerPower * math.Pow(math.Min(h, 2), 0.15)
		m.lExp[b] = g
		m.lScale[b] = bands.sl * math.Pow(bands.absThresh[b]/0.5, g)
	}
}

// skipDelayJumps zeroes the disturbance of frames that the degraded signal skipped because the
// delay dropped by more than half a frame between utterances.
func (m *model) skipDelayJumps() {
	a := m.a
	half := m.nf / 2
	for i := 1; i < len(a.utts); i++ {
		cur, prev := a.utts[i], a.utts[i-1]
		f1 := floorDiv((cur.start-searchBuffer)*a.down+cur.delay, half)
		j := floorDiv((prev.end-searchBuffer)*a.down+prev.delay, half)
		jump := cur.delay - prev.delay
		f1 = max(min(f1, j), 0)
		if jump < -half {
			f2 := ((cur.start-searchBuffer)*a.down+absInt(jump))/half + 1
			for f := f1; f <= f2 && f < m.stopF; f++ {
				m.dist[f], m.asym[f] = 0, 0
			}
		}
	}
}

// aggregate runs stages 17–19 and returns the raw score.
func (m *model) aggregate() float64 {
	a := m.a
	n := m.stopF + 1
	tw := grow(&m.tw, n)
	for f := range tw {
		tw[f] = 1
	}
	if n > 1000 {
		nn := (a.maxN-2*searchBuffer*a.down)/(m.nf/2) - 1
		twf := math.Min(float64(nn-1000)/5500, 0.5)
		for f := range tw {
			tw[f] = (1 - twf) + twf*float64(f)/float64(nn)
		}
	}
	for f := 0; f < n; f++ {
		h := math.Pow((m.refPower[f]+1e5)/1e7, 0.04)
		m.dist[f] = math.Min(m.dist[f]/h, maxFrameDist)
		m.asym[f] = math.Min(m.asym[f]/h, maxFrameDist)
	}
	d := lpqWeight(m.startF, m.stopF, 6, 2, m.dist, tw)
	as := lpqWeight(m.startF, m.stopF, 6, 2, m.asym, tw)
	return 4.5 - dWeight*d - aWeight*as
}

// lpqWeight aggregates frame values with an Lp norm over half-overlapping syllables of
// syllableFrames frames and an Lq norm over syllables (stage 18).
func lpqWeight(start, stop int, p, q float64, x, tw []float64) float64 {
	var num, den float64
	for s := start; s <= stop; s += syllableFrames / 2 {
		var acc float64
		for f := s; f < s+syllableFrames; f++ {
			if f <= stop {
				acc += math.Pow(x[f], p)
			}
		}
		syl := math.Pow(acc/syllableFrames, 1/p)
		w := tw[s-start]
		num += math.Pow(w*syl, q)
		den += math.Pow(w, q)
	}
	if den == 0 {
		return 0
	}
	return math.Pow(num/den, 1/q)
}
