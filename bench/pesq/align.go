package pesq

import (
	"fmt"
	"math"
)

// locateUtterances runs stages 5–8: crude delay over the whole signal, search windows, crude and
// fine delay per utterance, utterance boundaries, and utterance splitting.
func (a *analysis) locateUtterances() error {
	nr, nd := a.refN/a.down, a.degN/a.down
	if lag, ok := a.xcorrLag(a.refLogVAD[:nr], a.degLogVAD[:nd]); ok && nr > 1 && nd > 1 {
		a.crudeDelay = lag * a.down
	}
	a.searchWindows()
	if len(a.utts) == 0 {
		return fmt.Errorf("%w: no utterance found in the reference", ErrNoSpeech)
	}
	for i := range a.utts {
		u := &a.utts[i]
		u.delayEst = a.crudeDelaySegment(u.searchStart, u.searchEnd, a.crudeDelay)
		u.delay, u.conf = a.fineDelay(u.searchStart*a.down, u.searchEnd*a.down, u.delayEst)
	}
	a.utteranceBounds()
	a.splitUtterances()
	a.dropSpectra()
	return nil
}

// speechRuns lists the runs of positive reference VAD as [start, end) in blocks, keeping those
// long enough to be utterances and overlapping the crudely aligned degraded signal.
func (a *analysis) speechRuns() [][2]int {
	n := a.refN / a.down
	delBlocks := a.crudeDelay / a.down
	degStart := minUttBlocks - delBlocks
	degEnd := (a.degN-a.crudeDelay)/a.down - minUttBlocks
	var runs [][2]int
	inSpeech, start := false, 0
	for w := 0; w < n; w++ {
		v := a.refVAD[w]
		if v > 0 && !inSpeech {
			inSpeech, start = true, w
		}
		if (v == 0 || w == n-1) && inSpeech {
			inSpeech = false
			if w-start >= minUttBlocks && start < degEnd && w > degStart {
				runs = append(runs, [2]int{start, w})
				if len(runs) == maxUtterances-1 {
					break
				}
			}
		}
	}
	return runs
}

// searchWindows sets the utterances' search windows: each speech run widened by searchBuffer
// blocks on both sides (stage 6).
func (a *analysis) searchWindows() {
	n := a.refN / a.down
	for _, r := range a.speechRuns() {
		a.utts = append(a.utts, utterance{
			searchStart: max(0, r[0]-searchBuffer),
			searchEnd:   min(n-1, r[1]+searchBuffer),
		})
	}
}

// crudeDelaySegment refines a delay estimate (samples) for the reference blocks
// [startr, endr) by cross-correlating log-VAD envelopes; it returns the new estimate.
func (a *analysis) crudeDelaySegment(startr, endr, delayEst int) int {
	blocks := delayEst / a.down // truncates toward zero
	startd := startr + blocks
	if startd < 0 {
		startr, startd = -blocks, 0
	}
	nr := min(endr, len(a.refLogVAD)) - startr
	nd := nr
	if degBlocks := a.degN / a.down; startd+nd > degBlocks {
		nd = degBlocks - startd
	}
	if nr <= 1 || nd <= 1 || startr < 0 {
		return delayEst
	}
	lag, ok := a.xcorrLag(a.refLogVAD[startr:startr+nr], a.degLogVAD[startd:startd+nd])
	if !ok {
		return delayEst
	}
	return lag*a.down + delayEst
}

// delayHist accumulates the fine-alignment evidence of stage 7: for each Hann-windowed frame
// pair, the lags whose cross-correlation is within 1 % of the frame's maximum each receive a
// weight of that maximum to the power 0.125.
type delayHist struct {
	a      *analysis
	h      []float64
	fr, fd []float64
	spread bool // split_align style: spread each hit with a triangular kernel at once
	sum    float64
}

// newDelayHist returns an empty histogram, reusing one that releaseHist gave back.
func (a *analysis) newDelayHist(spread bool) *delayHist {
	var d *delayHist
	if n := len(a.freeHists); n > 0 {
		d, a.freeHists = a.freeHists[n-1], a.freeHists[:n-1]
	} else {
		d = &delayHist{a: a}
	}
	d.h = grow(&d.h, a.nfft)
	d.fr = grow(&d.fr, a.nfft)
	d.spread, d.sum = spread, 0
	return d
}

// releaseHist gives d back for reuse; d must not be used afterwards.
func (a *analysis) releaseHist(d *delayHist) { a.freeHists = append(a.freeHists, d) }

// add accumulates the frame pair starting at ref[startr] and deg[startd].
func (d *delayHist) add(startr, startd int) {
	a, n := d.a, d.a.nfft
	cr := a.frameSpectrum(a.refSpec, a.refAlign, startr)
	cd := a.frameSpectrum(a.degSpec, a.degAlign, startd)
	if len(a.xbuf) != len(cr) {
		a.xbuf = make([]complex128, len(cr))
	}
	for i := range cr {
		r, g := real(cr[i]), imag(cr[i])
		a.xbuf[i] = complex(r, -g) * cd[i]
	}
	x := a.plans.get(n).Sequence(d.fr, a.xbuf)
	vmax := 0.0
	inv := 1 / float64(n)
	for i, v := range x {
		v = math.Abs(v) * inv
		x[i] = v
		if v > vmax {
			vmax = v
		}
	}
	vmax *= 0.99
	w := math.Pow(vmax, 0.125)
	k := n / 64
	for i, v := range x {
		if !(v > vmax) {
			continue
		}
		if !d.spread {
			d.h[i] += w
			continue
		}
		wk := w / float64(k)
		d.sum += wk * float64(k)
		for j := 1 - k; j < k; j++ {
			d.h[(i+j+n)%n] += wk * float64(k-absInt(j))
		}
	}
}

// peak returns the lag (−n/2 … n/2−1) of the histogram maximum and its confidence.
func (d *delayHist) peak() (lag int, conf float64) {
	h := d.h
	sum := d.sum
	if !d.spread {
		// Smooth with a circular triangular kernel of half-width n/64.
		n, k := d.a.nfft, d.a.nfft/64
		sum = 0
		for _, v := range d.h {
			sum += v
		}
		h = grow(&d.a.peakBuf, n)
		for i, v := range d.h {
			if v == 0 {
				continue
			}
			h[i] += v
			for j := 1; j < k; j++ {
				g := v * (1 - float64(j)/float64(k))
				h[(i+j)%n] += g
				h[(i-j+n)%n] += g
			}
		}
	}
	best, arg := 0.0, 0
	if sum > 0 {
		for i, v := range h {
			if v/sum > best {
				best, arg = v/sum, i
			}
		}
	}
	if arg >= d.a.nfft/2 {
		arg -= d.a.nfft
	}
	return arg, best
}

// frameSpectrum returns the spectrum of the Hann-windowed alignment frame x[start:start+nfft],
// computed once per start position and kept in cache.
func (a *analysis) frameSpectrum(cache map[int][]complex128, x []float64, start int) []complex128 {
	if c, ok := cache[start]; ok {
		return c
	}
	n := a.nfft
	if len(a.fbuf) != n {
		a.fbuf = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		a.fbuf[i] = x[start+i] * a.alignWin[i]
	}
	var dst []complex128
	if k := len(a.freeSpec); k > 0 {
		dst, a.freeSpec = a.freeSpec[k-1], a.freeSpec[:k-1]
		if len(dst) != n/2+1 { // kept from a comparison at the other rate
			dst = nil
		}
	}
	c := a.plans.get(n).Coefficients(dst, a.fbuf)
	cache[start] = c
	return c
}

// dropSpectra empties the frame-spectrum caches, bounding their memory to what one stage of
// one utterance needs; the spectra's memory is kept for reuse.
func (a *analysis) dropSpectra() {
	for _, m := range []map[int][]complex128{a.refSpec, a.degSpec} {
		for _, c := range m {
			a.freeSpec = append(a.freeSpec, c)
		}
		clear(m)
	}
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// fineDelay estimates the delay (samples) of the reference span [startr, endr) around the
// estimate delayEst from frames stepping by a quarter of the FFT length (stage 7).
func (a *analysis) fineDelay(startr, endr, delayEst int) (delay int, conf float64) {
	startd := startr + delayEst
	if startd < 0 {
		startr, startd = -delayEst, 0
	}
	h := a.newDelayHist(false)
	for startd+a.nfft <= a.degN && startr+a.nfft <= endr && startr >= 0 {
		h.add(startr, startd)
		startr += a.nfft / 4
		startd += a.nfft / 4
	}
	lag, conf := h.peak()
	a.releaseHist(h)
	return delayEst + lag, conf
}

// utteranceBounds turns the search windows into contiguous utterances: boundaries midway
// between speech runs, the first and last clipped to the signal, and overlaps caused by
// differing delays resolved at their midpoint.
func (a *analysis) utteranceBounds() {
	runs := a.speechRuns()
	nu := len(a.utts)
	for i := range a.utts {
		if i < len(runs) {
			a.utts[i].start, a.utts[i].end = runs[i][0], runs[i][1]
		}
	}
	n := a.refN / a.down
	a.utts[0].start = searchBuffer
	a.utts[nu-1].end = n - searchBuffer
	for i := 1; i < nu; i++ {
		mid := (a.utts[i].start + a.utts[i-1].end) / 2
		a.utts[i].start, a.utts[i-1].end = mid, mid
	}
	d := a.down
	if first := &a.utts[0]; first.start*d+first.delay < searchBuffer*d {
		first.start = searchBuffer + floorDiv(d-1-first.delay, d)
	}
	if last := &a.utts[nu-1]; last.end*d+last.delay > a.degN-searchBuffer*d {
		last.end = floorDiv(a.degN-last.delay, d) - searchBuffer
	}
	for i := 1; i < nu; i++ {
		cur, prev := &a.utts[i], &a.utts[i-1]
		s := cur.start*d + cur.delay
		e := prev.end*d + prev.delay
		if s < e {
			mid := floorDiv(s+e, 2)
			cur.start = floorDiv(d-1+mid-cur.delay, d)
			prev.end = floorDiv(mid-prev.delay, d)
		}
	}
}

// floorDiv is integer division rounding toward −∞.
func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
