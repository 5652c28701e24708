package jitter

import "time"

// Rendering: each call to render appends audio to the sync buffer, choosing, for the frame at
// the playout position pos, in this order: the primary packet, a RED copy, the next packet's
// in-band FEC (when negotiated), the DRED of the first buffered packet after the gap (when
// Config.DRED), then concealment (Deep PLC at DecoderComplexity ≥ 5). A gap before the next packet whose sequence
// number follows the last one played is the sender's DTX silence, not a loss.
//
// When nothing at all is buffered the position is held: the buffer conceals in 10 ms steps
// (stall) until a packet tells what happened. If the awaited packet turns up, it plays after
// the concealment — the concealment stretched time instead of dropping a merely late packet,
// and the margin grew. If a later packet shows the awaited one was lost, the held concealment
// stands in for it; if it shows DTX, the held samples were comfort noise. See holdLimit for
// how long the position is held.

// stallStep is how much a held position conceals per render call.
const stallStep = rtpClockHz / 100

// plcQuantum: Opus conceals in multiples of 2.5 ms.
const plcQuantum = rtpClockHz / 400

// The dead band around the target, inside which nothing is stretched, is asymmetric: the
// margin may rise 30 ms above the target before the buffer accelerates, but only 5 ms below
// before it decelerates. Following every small excess down warps time, which listeners (and
// PESQ) notice more than 20 ms of delay: measured over 3 seeds on wifi, lte, 3g and a 30 ms
// jitter link, a 20 ms upper band instead of 5 ms raised PESQ-WB by 0.12-0.42 for 4-12 ms more
// delay. 30 ms instead of 20 ms, behind the adapt sender (`parley bench adapt -profiles
// bursty20,3g,lte-bursty,wifi,g1050-b` plus the TMobile-LTE, norway_bus_1 and 4G_700kbps
// traces, 2 seeds: 16 runs), raised PESQ-WB from 3.40 to 3.47 (P10 2.34 to 2.38) and cut
// concealment beyond the losses from 1.95 % to 1.58 % of playout and interruptions from 2.55
// to 2.25 a minute, for 7 ms more buffer delay (95 to 102 ms); on a wider set (those profiles
// plus congested, 3 seeds, the ATT-LTE, Verizon-EVDO, norway_metro_2 and WIRED_900kbs traces
// 20 s in: 30 runs) from 3.60 to 3.67 (P10 2.35 to 2.63), worse in 2 runs (by 0.09 and
// 0.01), for 6 ms more (101 to 107 ms). Most of the gain is on lossy links (bursty20 +0.22 to
// +0.52), where the excess that held concealment leaves after a loss burst is now kept instead
// of accelerated away. A 15 ms lower band gained at most 0.02 mean but cost 0.17 PESQ-WB in
// TestStretchQuality's delay steps, so it stays at 5 ms. Speech itself is stretched only three
// bands off target (see speechStretchWait); never stretching speech, or stretching it only to
// decelerate, changed PESQ-WB by 0.01 in the 16 runs: speech is rarely stretched.
const (
	accelBand = 30 * time.Millisecond
	decelBand = 5 * time.Millisecond
)

// shedExcess is the excess of the margin over the target beyond which (and beyond twice the
// target) the buffer sheds delay as NetEq's fast accelerate does: it stretches speech without
// waiting speechStretchWait, and at shedGain times Config.MaxStretchRate. A late first packet,
// or a backlog delivered at once after a stall or a path switch, can leave the buffer most of a
// second above its target (a live demo call over the 3g profile started 0.5–0.9 s above a
// 35 ms target); shedding that at MaxStretchRate and mostly in pauses left 0.62 s of it 2 s
// into playout and took about 4.5 s in all (TestShedsFarExcess: 0.18 s left after 2 s with
// it), during which the talkers hear each other that much later. The bench meets it rarely:
// behind the adapt sender (`parley bench adapt`, default profiles plus eight capacity traces,
// 4 seeds, 65 runs) adapt+neteq's PESQ-WB went from 3.729 to 3.730 with MOS 3.723 and 131.5 ms
// of buffer delay unchanged, adapt's from 3.737 to 3.735 (its P10 from 2.53 to 2.58).
const (
	shedExcess = 300 * time.Millisecond
	shedGain   = 3
)

// shedding reports whether excess (margin minus target) is so far above the target that delay
// is shed fast (see shedExcess).
func (b *Buffer) shedding(excess time.Duration) bool {
	return excess > max(shedExcess, 2*b.target)
}

// decelReach is the largest deficit (target minus margin) the buffer decelerates to cover
// outside pauses unless Config.DecelerateFar: drift and small target moves are stretched away,
// a target that rose further is reached in the next pause (pauseRun), at the next loss or by
// holding the position at the next underrun. Measured behind the
// adapt sender (`parley bench adapt -profiles 3g -seeds 8`, adapt+neteq), decelerating
// towards every target rise scored PESQ-WB 3.57 with 88 ms of buffer delay; decelerating only
// within 20 ms of the target (or 10 ms: the same runs) 3.75 with 74 ms, at equal concealment
// (2.9 % late) and E-model MOS 3.92 vs 3.95. Decelerating far rises only in low-energy
// segments scored 3.62, only below -60 dBFS 3.68: PESQ aligns each utterance as a whole, and
// even silence inserted inside one costs score. On the default profiles plus eight capacity
// traces (2 seeds, 33 runs) PESQ-WB rose from 3.59 to 3.61 (adapt+neteq), 3.58 to 3.60
// (adapt+track), 3.56 to 3.62 (adapt+floor), 3.50 to 3.66 (adapt, the policy's target) at
// 1-13 ms less buffer delay.
const decelReach = 20 * time.Millisecond

// speechStretchWait is how long (in samples) the margin must have been off target before
// speech itself is stretched; until then only pauses are, and a talker pauses every few
// seconds (PESQ-WB with a 100 ms target step: 3.13 when speech is stretched at once, 3.94
// after a second). 3 s instead of 1 s, with acceleration waiting for pauses (pauseRun), on
// the default profiles plus eight capacity traces (`parley bench adapt`, 2 seeds, 33 runs):
// adapt+neteq PESQ-WB 3.70 to 3.71 (per run against the best baseline -0.06 to -0.04, P10
// +0.02 to +0.10), interruptions 2.77 to 2.84 a minute, buffer delay 119 to 120 ms.
var speechStretchWait = durationTS(3 * time.Second)

// pauseRun is how long (in samples) the decoded audio must have been low-energy before the
// buffer accelerates in it, unless the margin is far off target: a talker's pause, not the
// closure of a stop consonant or the quiet end of a syllable. PESQ aligns each utterance as a
// whole, and the delay a slowly falling target sheds moves inside the utterances when every
// quiet 20 ms frame may take it. Measured behind the adapt sender (`parley bench adapt -profiles
// 3g,lte-bursty,bursty20,wifi,congested,g1050-c,steps` plus the norway_metro_2, norway_bus_1,
// TMobile-UMTS, TMobile-LTE, Verizon-EVDO and 4G_700kbps traces, 2 seeds: 26 runs,
// adapt+neteq), PESQ-WB rose from 3.45 to 3.52 with 100 ms, 3.53 with 150 ms and 250 ms, for
// 3, 6 and 12 ms more buffer delay; waiting for a pause to decelerate within decelReach as
// well changed nothing. Decelerating in pauses towards any rise (not only within decelReach)
// kept the default profiles plus eight traces at 3.71 (33 runs, 2 ms more buffer) and raised
// bursty20 (4 seeds) from 3.30 to 3.33: the DRED cover a loss onset raises is in place sooner.
// One run of norway_metro_2, where a start-up spike set a 300 ms target that took 20 s to
// fall, went from 3.55 to 3.79: 3.64 to 3.90 and 4.03 to 4.42 in the two repetitions without
// any concealment.
var pauseRun = durationTS(150 * time.Millisecond)

// render appends at least one sample, or makes progress on the position.
func (b *Buffer) render() {
	if k := b.pkts.dropBefore(b.pos); k > 0 {
		b.stats.PacketsDiscarded += uint64(k)
	}
	if b.pkts.len() == 0 {
		n := b.conceal(stallStep, &b.stallQuiet)
		if b.stall < int(durationTS(b.holdLimit())) {
			b.stall += n
		} else {
			b.pos += int64(n) // waited long enough: treat what is missing as lost
			b.skipped += n
		}
		return
	}
	e := b.pkts.at(0)
	gap := e.ts - b.pos
	missing := int64(1) << 40 // packets missing before e: unknown after a RED copy or at start
	if !e.red && b.haveSeq {
		missing = e.seq - b.lastSeq - 1 - int64(b.recovered)
	}
	switch {
	case gap == 0:
		b.play(e)
		b.pkts.removeAt(0)
	case missing <= 0:
		b.dtxGap(gap)
	case int64(b.gapLoss) >= missing*int64(b.lastFrame):
		// The missing packets are concealed already; the rest of the gap is DTX silence.
		b.dtxGap(gap)
	default:
		b.lossGap(e, gap, missing)
	}
}

// fecFrom reports whether the frame before e can be decoded from e's in-band FEC.
func (b *Buffer) fecFrom(e *entry) bool { return b.cfg.FEC && !e.red && opusHasFEC(e.payload()) }

// holdLimit is how long the position is held waiting for a late packet: twice the target,
// at least 100 ms (ModeTrack: one target, at least trackHoldMin). Beyond it the buffer
// conceals with the position moving on (packets of the skipped audio will be late), so a long
// outage or delivery gap does not add its whole length to the delay.
func (b *Buffer) holdLimit() time.Duration {
	if b.cfg.Mode == ModeTrack {
		return max(b.target, trackHoldMin)
	}
	return max(2*b.target, 100*time.Millisecond)
}

// resyncGap is how far beyond what any buffering explains a next packet may lie before the
// position jumps to it (a timestamp discontinuity at the sender) instead of playing the gap.
func (b *Buffer) resyncGap() int64 { return durationTS(b.cfg.MaxTarget + time.Second) }

// play decodes entry e, which is at the position.
func (b *Buffer) play(e *entry) {
	b.commitStall()
	pcm, _ := b.sync.tail(maxFrameSamples + maxLag)
	n, err := b.dec.Decode(e.payload(), pcm[:maxFrameSamples])
	if err != nil || n <= 0 {
		b.pos += int64(e.samples)
		var quiet int
		b.commitConceal(b.conceal(e.samples, &quiet), quiet)
		return
	}
	b.sync.commit(n, e.arrival)
	b.pos += int64(n)
	b.lastFrame = n
	b.concealing = false
	if e.red {
		b.stats.FramesRecoveredRED++
		b.recovered++
	} else {
		b.stats.FramesDecoded++
		b.lastSeq, b.haveSeq, b.recovered, b.gapLoss = e.seq, true, 0, 0
	}
	b.stretch()
}

// dtxGap renders the sender's silence before the next packet, gap samples away.
func (b *Buffer) dtxGap(gap int64) {
	if b.stall+b.skipped > 0 {
		// The held concealment was comfort noise: move the position past it.
		b.pos += min(int64(b.stall), gap)
		b.stats.DTXSamples += uint64(b.stall + b.skipped)
		b.stall, b.skipped, b.stallQuiet = 0, 0, 0
		return
	}
	if gap > b.resyncGap() {
		b.pos += gap
		return
	}
	excess := b.margin() - b.target
	switch {
	case excess > accelBand:
		// Shorten the silence: the cheapest acceleration there is.
		s := min(gap, durationTS(excess))
		b.pos += s
		b.stats.RemovedSamplesForAcceleration += uint64(s)
	case excess < -decelBand:
		// Lengthen it: play comfort noise without advancing.
		var quiet int
		n := b.conceal(int(min(durationTS(-excess), int64(stallStep))), &quiet)
		b.stats.InsertedSamplesForDeceleration += uint64(n)
		b.stats.DTXSamples += uint64(n)
	default:
		var quiet int
		n := b.conceal(int(min(gap, int64(b.lastFrame))), &quiet)
		b.pos += int64(n)
		b.stats.DTXSamples += uint64(n)
	}
}

// lossGap renders the frames lost before entry e, gap samples away; missing packets are
// unaccounted for before it.
func (b *Buffer) lossGap(e *entry, gap, missing int64) {
	fec := b.fecFrom(e)
	if fec && gap == int64(e.samples) {
		b.commitStall()
		pcm, _ := b.sync.tail(maxFrameSamples + maxLag)
		if err := b.dec.DecodeFEC(e.payload(), pcm[:gap]); err == nil {
			b.sync.commit(int(gap), e.arrival)
			b.pos += gap
			b.concealing = false
			b.stats.FramesRecoveredFEC++
			b.recovered++
			b.stretch()
			return
		}
	}
	room := gap // what may be concealed without giving up the FEC of the frame before e
	if fec && gap > int64(e.samples) {
		room = gap - int64(e.samples)
	}
	if b.stall+b.skipped > 0 {
		// The held concealment stands in for the lost audio, except what the buffer keeps as
		// the delay it lacks (growth); beyond the missing packets' worth, it was the sender's
		// DTX silence.
		grow := min(b.growth(), b.stall)
		b.pos += min(int64(b.stall-grow), room)
		held := b.stall + b.skipped - grow
		loss := int(min(int64(held), max(0, missing*int64(b.lastFrame)-int64(b.gapLoss))))
		b.stats.DTXSamples += uint64(held - loss)
		b.gapLoss += loss
		if loss+grow > 0 {
			b.commitConceal(loss+grow, min(loss+grow, b.stallQuiet))
		}
		b.stall, b.skipped, b.stallQuiet = 0, 0, 0
		return
	}
	if gap > b.resyncGap() {
		b.pos += gap
		return
	}
	if n := int(min(room, int64(b.lastFrame))); b.dredFrom(e, gap, n) {
		b.pos += int64(n)
		b.concealing = false
		b.stats.FramesRecoveredDRED++
		b.recovered++
		b.stretch()
		return
	}
	var quiet int
	if g := b.growth(); g > 0 && b.grownAt != b.pos {
		// The buffer lacks delay: the concealment goes in ahead of the lost audio, which is
		// rebuilt or concealed after it (by then a later packet's DRED may have come). One
		// frame per gap at most: a rise is spread over the next losses rather than heard as
		// one long gap (bench adapt, default profiles and 8 traces: PESQ-WB 3.60 -> 3.61,
		// interruptions 2.98 -> 2.91 a minute; 3g seeds 2 and 4: 3.19 -> 3.57, 3.23 -> 3.67).
		n := b.conceal(min(g, b.lastFrame), &quiet)
		b.commitConceal(n, quiet)
		b.grownAt = b.pos
		return
	}
	n := b.conceal(int(min(room, int64(b.lastFrame))), &quiet)
	b.pos += int64(n)
	b.gapLoss += n
	b.commitConceal(n, quiet)
}

// growth is how many samples of delay the buffer lacks and takes at a loss gap, where the
// audio is concealment anyway: the margin's shortfall under the target beyond the deceleration
// band, 0 with Config.DecelerateFar (NetEq's behaviour: it reaches any target by stretching).
// Stretching speech costs PESQ-WB where concealment that is heard anyway costs little more
// for being longer; without it a lossy link whose redundancy needs a deeper buffer (DRED, RED)
// never gets one, since a loss is not an underrun.
func (b *Buffer) growth() int {
	if b.cfg.DecelerateFar {
		return 0
	}
	d := b.target - b.margin()
	if d <= decelBand {
		return 0
	}
	return int(durationTS(d))
}

// dredFrom rebuilds the n samples at the position from the DRED of e, which starts gap samples
// later, committing them to the sync buffer; false when DRED is off, e is a RED copy, or e's
// DRED does not reach back that far (or n is not a whole number of 2.5 ms steps). A packet is
// parsed once for the whole gap before it. Allocates nothing.
func (b *Buffer) dredFrom(e *entry, gap int64, n int) bool {
	if b.dred == nil || e.red || n%plcQuantum != 0 || n <= 0 || gap > int64(rtpClockHz) {
		return false
	}
	if !b.dredOK || b.dredTS != e.ts {
		b.dredOK = false
		// Parsed at least dredProbe deep, the reach tells how far the sender's DRED goes (for
		// the target, see cover.go), not only whether it covers this gap.
		reach, err := b.dred.Parse(e.payload(), int(max(gap, durationTS(dredProbe))))
		if err != nil {
			return false
		}
		b.dredTS, b.dredOK = e.ts, true
		b.sender.noteDRED(e.arrival, tsDuration(int64(reach)))
	}
	b.commitStall()
	pcm, _ := b.sync.tail(maxFrameSamples + maxLag)
	if b.dec.DecodeDRED(b.dred, int(gap), pcm[:n]) != nil {
		return false
	}
	b.sync.commit(n, e.arrival)
	return true
}

// conceal appends n samples of Opus concealment (comfort noise after DTX) and returns n; it
// adds to *quiet the samples that came out near silent.
func (b *Buffer) conceal(n int, quiet *int) int {
	n = max(1, min(n, maxFrameSamples))
	pcm, _ := b.sync.tail(n)
	q := n / plcQuantum * plcQuantum
	if q == 0 || b.dec.DecodePLC(pcm[:q]) != nil {
		q = 0
	}
	clear(pcm[q:])
	b.sync.commit(n, -1)
	if power(pcm) < lowEnergyFloor {
		*quiet += n
	}
	return n
}

// commitStall counts held concealment as concealment.
func (b *Buffer) commitStall() {
	if b.stall+b.skipped > 0 {
		b.commitConceal(b.stall+b.skipped, b.stallQuiet)
		b.stall, b.skipped, b.stallQuiet = 0, 0, 0
	}
}

// commitConceal counts n concealed samples, quiet of them near silent.
func (b *Buffer) commitConceal(n, quiet int) {
	b.stats.ConcealedSamples += uint64(n)
	b.stats.SilentConcealedSamples += uint64(quiet)
	if !b.concealing {
		b.stats.ConcealmentEvents++
		b.concealing = true
	}
}

// stretch time-stretches the audio not yet played (the frame just decoded and what was left
// before it) towards the target, within the rate budget.
func (b *Buffer) stretch() {
	s := &b.sync
	region := s.pcm[s.rd:s.wr]
	pw := power(region)
	b.speechPow = max(pw, b.speechPow*0.995)
	excess := b.margin() - b.target
	low := pw < lowEnergyFloor || pw < b.speechPow*lowEnergyRatio
	if low {
		b.quietRun += int64(b.lastFrame)
	} else {
		b.quietRun = 0
	}
	// In a pause the buffer decelerates towards any rise of the target, as far as it lacks:
	// silence inserted between utterances costs nothing, and the margin is there before the
	// next loss or late packet needs it.
	pause := low && b.quietRun >= pauseRun
	if excess > -decelBand && excess < accelBand || excess < -decelReach && !b.cfg.DecelerateFar && !pause {
		return
	}
	far := excess > 3*accelBand || excess < -3*decelBand
	if !low && (!far || b.offTarget < speechStretchWait) && !b.shedding(excess) {
		return // prefer low-energy segments: speech only when far and long off target
	}
	if excess > 0 && !far && !pause {
		return // accelerate in pauses, not in the short quiet stretches inside an utterance
	}
	want := durationTS(excess)
	if want < 0 {
		want = -want
	}
	lmax := min(maxLag, len(region)/2)
	if lmax < minLag {
		return
	}
	var l int
	if low {
		l = int(min(max(want, minLag), int64(lmax)))
	} else {
		var c float64
		if l, c = bestLag(region, b.scratch, lmax); l == 0 || c < voicedCorr {
			return
		}
	}
	cost := float64(l)
	if low {
		cost /= 4
	}
	if b.credit < cost {
		return
	}
	b.credit -= cost
	if excess > 0 {
		n := removePeriod(region, s.arr[s.rd:s.wr], l)
		s.wr = s.rd + n
		b.stats.RemovedSamplesForAcceleration += uint64(l)
		return
	}
	s.tail(l) // room for the inserted period (may move rd)
	n := insertPeriod(s.pcm[s.rd:], s.arr[s.rd:], s.len(), l)
	s.wr = s.rd + n
	b.stats.InsertedSamplesForDeceleration += uint64(l)
}
