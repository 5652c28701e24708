package pesq

import (
	"fmt"
	"math"
)

// Constants of P.862 (names after the Recommendation's symbols where it has them).
const (
	searchBuffer    = 75  // blocks of silence padded on both sides (SEARCHBUFFER)
	dataPaddingMs   = 320 // extra zero padding after the signal (DATAPADDING_MSECS)
	targetAvgPower  = 1e7 // level after alignment (TARGET_AVG_POWER)
	minSpeechBlocks = 4   // shorter speech runs are dropped by the VAD (MINSPEECHLGTH)
	joinSpeechGap   = 50  // shorter pauses are bridged by the VAD (JOINSPEECHLGTH)
	minUttBlocks    = 50  // shortest utterance (MINUTTLENGTH)
	maxUtterances   = 50  // most utterances (MAXNUTTERANCES)
	splitMinBlocks  = 200 // utterances at least this long are tried for a split
	maxBreakpoints  = 40  // split points tried per utterance
	minSplitPad     = 75  // blocks kept clear of an utterance's ends when splitting
	silence5Samples = 500 // |x| sum of 5 samples below which leading/trailing audio is silent
	wbFadeSamples   = 16  // linear fade at both ends of the signal before the wideband filter
)

// utterance is one aligned segment; positions are in 4-ms blocks of the padded reference,
// delays in samples.
type utterance struct {
	searchStart, searchEnd int
	start, end             int
	delayEst               int
	delay                  int
	conf                   float64
}

// analysis holds the state of one comparison. A Scorer keeps one and resets it for each
// comparison, so that its buffers are reused; it is never shared between goroutines.
type analysis struct {
	scratch

	opts     Options
	fs       int
	down     int // samples per block (Downsample)
	nfft     int // fine-alignment FFT length (Align_Nfft)
	pad      int // DATAPADDING in samples
	refN     int // reference length with both search buffers (Nsamples)
	degN     int
	maxN     int
	bands    *barkBands
	alignWin []float64

	// Model-path signals (after level alignment and input filter), padded to maxN+pad.
	refModel, degModel []float64
	// Alignment-path signals (model path plus DC block and handset IIR), length refN / degN.
	refAlign, degAlign []float64

	refVAD, refLogVAD []float64
	degVAD, degLogVAD []float64

	// Spectra of alignment frames by start sample, the spectra free for reuse, and scratch
	// buffers, for stages 7–8.
	refSpec, degSpec map[int][]complex128
	freeSpec         [][]complex128
	fbuf             []float64
	xbuf             []complex128
	freeHists        []*delayHist
	peakBuf          []float64
	cands            []splitCandidate

	crudeDelay int
	utts       []utterance
	m          model
}

// reset prepares a for a comparison of refLen and degLen samples at fs, keeping its buffers.
func (a *analysis) reset(fs int, opts Options, refLen, degLen int) {
	a.scratch.init()
	a.opts, a.fs = opts, fs
	if fs == 16000 {
		a.down, a.nfft, a.bands = 64, 1024, &bands16k
	} else {
		a.down, a.nfft, a.bands = 32, 512, &bands8k
	}
	a.pad = dataPaddingMs * fs / 1000
	a.refN = refLen + 2*searchBuffer*a.down
	a.degN = degLen + 2*searchBuffer*a.down
	a.maxN = max(a.refN, a.degN)
	a.alignWin = a.hann(a.nfft)
	if a.refSpec == nil {
		a.refSpec = map[int][]complex128{}
		a.degSpec = map[int][]complex128{}
	}
	a.dropSpectra()
	a.crudeDelay = 0
	a.utts = a.utts[:0]
}

// prepare runs stages 0–4: padding, level alignment, input filter, alignment-path filter, VAD.
func (a *analysis) prepare(ref, deg []float64) error {
	off := searchBuffer * a.down
	total := a.maxN + a.pad
	grow(&a.refModel, total)
	grow(&a.degModel, total)
	copy(a.refModel[off:], ref)
	copy(a.degModel[off:], deg)

	if err := a.fixPowerLevel(a.refModel, a.refN); err != nil {
		return fmt.Errorf("%w: reference signal is silent in the speech band", ErrNoSpeech)
	}
	a.inputFilter(a.refModel, a.refN)
	if err := a.fixPowerLevel(a.degModel, a.degN); err != nil {
		return fmt.Errorf("%w: degraded signal is silent in the speech band", ErrNoSpeech)
	}
	a.inputFilter(a.degModel, a.degN)

	copy(grow(&a.refAlign, a.refN), a.refModel)
	copy(grow(&a.degAlign, a.degN), a.degModel)
	for _, x := range [][]float64{a.refAlign, a.degAlign} {
		a.dcBlock(x)
		if a.fs == 16000 {
			filterIIR(x, alignIIR16k)
		} else {
			filterIIR(x, alignIIR8k)
		}
	}
	a.refVAD, a.refLogVAD = vad(a.refAlign, a.down, a.refVAD, a.refLogVAD)
	a.degVAD, a.degLogVAD = vad(a.degAlign, a.down, a.degVAD, a.degLogVAD)
	return nil
}

// fixPowerLevel scales x[:n] so that its 350–3250 Hz power, averaged over the longer signal's
// span, is targetAvgPower (stage 1).
func (a *analysis) fixPowerLevel(x []float64, n int) error {
	off := searchBuffer * a.down
	span := n - 2*off + a.pad
	p := a.curvePower(x[off:off+span], a.fs, alignFilterCurve[:]) /
		float64(a.maxN-2*off+a.pad)
	if !(p > 0) || math.IsInf(p, 0) {
		return ErrNoSpeech
	}
	g := math.Sqrt(targetAvgPower / p)
	for i := range x[:n] {
		x[i] *= g
	}
	return nil
}

// inputFilter applies the model's input filter in place (stage 2): the IRS receive curve for
// narrowband (over the whole padded signal), the P.862.2 high-pass for wideband. The wideband
// filter runs only over the signal between the search buffers, after its first and last 15
// samples are faded in and out (gains 1/16 … 15/16): the buffers stay silent, so the
// high-pass does not ring into the trailing buffer after a signal that ends on a non-zero
// sample, as every delayed-and-cut copy does.
func (a *analysis) inputFilter(x []float64, n int) {
	if a.opts.Mode == Narrowband {
		off := searchBuffer * a.down
		a.applyCurve(x[off:off+n-2*off+a.pad], a.fs, irsReceiveCurve[:])
		return
	}
	f := wbInput16k
	if a.fs == 8000 {
		f = wbInput8k
	}
	if a.opts.Variant == Corrigendum2 {
		f.b0 *= corrigendum2Gain
		f.b1 *= corrigendum2Gain
		f.b2 *= corrigendum2Gain
	}
	off := searchBuffer * a.down
	seg := x[off : n-off]
	for i := 1; i < wbFadeSamples && i < len(seg); i++ {
		g := float64(i) / wbFadeSamples
		seg[i-1] *= g
		seg[len(seg)-i] *= g
	}
	filterIIR(seg, []biquad{f})
}

// dcBlock removes the mean of the signal part of x (divided over the whole padded length, as
// the Recommendation does) and fades one block in and out at its ends.
func (a *analysis) dcBlock(x []float64) {
	n := len(x)
	off := searchBuffer * a.down
	if n-2*off <= 0 {
		return
	}
	seg := x[off : n-off]
	var sum float64
	for _, v := range seg {
		sum += v
	}
	mean := sum / float64(n)
	for i := range seg {
		seg[i] -= mean
	}
	for i := 0; i < a.down && i < len(seg); i++ {
		g := (0.5 + float64(i)) / float64(a.down)
		seg[i] *= g
		seg[len(seg)-1-i] *= g
	}
}
