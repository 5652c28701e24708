package pesq

// splitCandidate is the outcome of trying one breakpoint.
type splitCandidate struct {
	bp           int     // breakpoint, in blocks
	est1, est2   int     // crude delays of the two halves
	d1, d2       int     // fine delays
	conf1, conf2 float64 // fine-delay confidences
	done1, done2 bool
}

// splitUtterances runs stage 8: each utterance with enough speech is tried at breakpoints; if
// both halves align with more confidence than the whole and their delays differ by at least a
// block, the utterance is split in two and the first half is tried again.
func (a *analysis) splitUtterances() {
	for id := 0; id < len(a.utts) && len(a.utts) < maxUtterances; {
		u := a.utts[id]
		speechStart := max(0, u.start)
		for speechStart < u.end && a.refVADAt(speechStart) <= 0 {
			speechStart++
		}
		speechEnd := u.end
		for speechEnd > u.start && a.refVADAt(speechEnd) <= 0 {
			speechEnd--
		}
		speechEnd++
		if speechEnd-speechStart < splitMinBlocks {
			id++
			continue
		}
		a.dropSpectra()
		best, ok := a.bestSplit(u, speechStart, speechEnd)
		if !ok {
			id++
			continue
		}
		d := a.down
		first := utterance{
			searchStart: u.searchStart, searchEnd: u.searchEnd,
			start: u.start, delayEst: best.est1, delay: best.d1, conf: best.conf1,
		}
		second := utterance{
			searchStart: u.searchStart, searchEnd: u.searchEnd,
			end: u.end, delayEst: best.est2, delay: best.d2, conf: best.conf2,
		}
		if best.d2 < best.d1 {
			first.end, second.start = best.bp, best.bp
		} else {
			shift := (best.d2 - best.d1) / (2 * d)
			first.end, second.start = best.bp+shift, best.bp-shift
		}
		if (first.start-searchBuffer)*d+best.d1 < 0 {
			first.start = searchBuffer + (d-1-best.d1)/d
		}
		if second.end*d+best.d2 > a.degN-searchBuffer*d {
			second.end = (a.degN-best.d2)/d - searchBuffer
		}
		a.utts = append(a.utts[:id+1], a.utts[id:]...)
		a.utts[id], a.utts[id+1] = first, second
	}
}

func (a *analysis) refVADAt(w int) float64 {
	if w < 0 || w >= len(a.refVAD) {
		return 0
	}
	return a.refVAD[w]
}

// bestSplit evaluates the breakpoints of utterance u whose speech spans blocks
// [speechStart, speechEnd) and returns the best accepted split.
func (a *analysis) bestSplit(u utterance, speechStart, speechEnd int) (splitCandidate, bool) {
	length := speechEnd - speechStart
	delta := a.nfft / (4 * a.down)
	step := int((0.801*float64(length)+float64(40*delta)-1)/float64(40*delta)) * delta
	pad := max(length/10, minSplitPad)
	if step <= 0 {
		return splitCandidate{}, false
	}
	cands := a.cands[:0]
	for bp := speechStart + pad; bp <= speechEnd-pad && len(cands) < maxBreakpoints; bp += step {
		cands = append(cands, splitCandidate{bp: bp})
	}
	a.cands = cands
	if len(cands) == 0 {
		return splitCandidate{}, false
	}
	for i := range cands {
		c := &cands[i]
		c.est1 = a.crudeDelaySegment(u.start, c.bp, u.delayEst)
		c.est2 = a.crudeDelaySegment(c.bp, u.end, u.delayEst)
	}

	// First halves: frames from the utterance start up to each breakpoint. Breakpoints sharing
	// a crude delay extend one running histogram.
	d, n := a.down, a.nfft
	type fwd struct {
		h              *delayHist
		startr, startd int
	}
	running := map[int]*fwd{}
	for i := range cands {
		c := &cands[i]
		f, ok := running[c.est1]
		if !ok {
			startr := u.start * d
			startd := startr + c.est1
			if startd < 0 {
				startr, startd = -c.est1, 0
			}
			f = &fwd{h: a.newDelayHist(true), startr: startr, startd: startd}
			running[c.est1] = f
		}
		for f.startr >= 0 && f.startd+n <= a.degN && f.startr+n <= c.bp*d {
			f.h.add(f.startr, f.startd)
			f.startr += n / 4
			f.startd += n / 4
		}
		lag, conf := f.h.peak()
		c.d1, c.conf1 = c.est1+lag, conf
	}
	for _, f := range running {
		a.releaseHist(f.h)
	}

	// Second halves: frames from the utterance end back to each breakpoint, only where the
	// first half beat the whole utterance's confidence.
	running = map[int]*fwd{}
	for i := len(cands) - 1; i >= 0; i-- {
		c := &cands[i]
		if !(c.conf1 > u.conf) {
			continue
		}
		f, ok := running[c.est2]
		if !ok {
			startr := u.end*d - n
			startd := startr + c.est2
			if startd+n > a.degN {
				startd = a.degN - n
				startr = startd - c.est2
			}
			f = &fwd{h: a.newDelayHist(true), startr: startr, startd: startd}
			running[c.est2] = f
		}
		for f.startd >= 0 && f.startr >= c.bp*d && f.startr+n <= len(a.refAlign) && f.startd+n <= a.degN {
			f.h.add(f.startr, f.startd)
			f.startr -= n / 4
			f.startd -= n / 4
		}
		lag, conf := f.h.peak()
		c.d2, c.conf2, c.done2 = c.est2+lag, conf, true
	}
	for _, f := range running {
		a.releaseHist(f.h)
	}

	var best splitCandidate
	found := false
	for _, c := range cands {
		if !c.done2 {
			continue
		}
		if absInt(c.d2-c.d1) >= d && c.conf1+c.conf2 > best.conf1+best.conf2 &&
			c.conf1 > u.conf && c.conf2 > u.conf {
			best, found = c, true
		}
	}
	return best, found
}
