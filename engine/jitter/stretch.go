package jitter

import (
	"math"
	"time"
)

// Time-stretching is pitch-synchronous overlap-add on the decoded 48 kHz audio, as NetEq's
// accelerate and preemptive-expand do: find the lag L (one pitch period, 2.5 to 15 ms) at which
// the signal best repeats itself, then either cross-fade two periods into one (remove L
// samples) or cross-fade a repeated period in (insert L samples). Both operations start and
// end on the original samples, so the waveform stays continuous: no clicks, and the pitch is
// unchanged because whole periods are added or removed.
const (
	minLag = rtpClockHz * 25 / 10000 // 2.5 ms, 400 Hz
	maxLag = rtpClockHz * 15 / 1000  // 15 ms, 67 Hz
	decim  = 4                       // the coarse lag search runs at 12 kHz

	// voicedCorr is the normalised correlation a speech segment needs between two consecutive
	// periods to be stretched (NetEq uses 0.9).
	voicedCorr = 0.9
	// lowEnergyRatio: a segment whose power is 30 dB below the recent speech level (or below
	// -60 dBFS) is stretched without a correlation test, at a quarter of the cost.
	lowEnergyRatio = 1e-3
	lowEnergyFloor = 1e-6
)

// syncBuffer holds decoded audio not yet played, with the arrival time of the packet each
// sample came from (-1 for concealment and comfort noise), so jitterBufferDelay can be summed
// per emitted sample.
type syncBuffer struct {
	pcm    []float32
	arr    []time.Duration
	rd, wr int
}

func newSyncBuffer(n int) syncBuffer {
	return syncBuffer{pcm: make([]float32, n), arr: make([]time.Duration, n)}
}

func (s *syncBuffer) len() int { return s.wr - s.rd }

// tail returns room for n more samples at the end (compacting if needed); commit them with
// s.wr += n. n must not exceed the capacity minus len.
func (s *syncBuffer) tail(n int) ([]float32, []time.Duration) {
	if s.wr+n > len(s.pcm) {
		copy(s.pcm, s.pcm[s.rd:s.wr])
		copy(s.arr, s.arr[s.rd:s.wr])
		s.wr -= s.rd
		s.rd = 0
	}
	return s.pcm[s.wr : s.wr+n], s.arr[s.wr : s.wr+n]
}

// appendFrame commits n samples written into tail(n), all from a packet that arrived at arrival.
func (s *syncBuffer) commit(n int, arrival time.Duration) {
	a := s.arr[s.wr : s.wr+n]
	for i := range a {
		a[i] = arrival
	}
	s.wr += n
}

// bestLag searches x for the period L in [minLag, lmax] maximising the normalised
// cross-correlation of x[0:L] with x[L:2L]: first on a 4:1 decimated copy (scratch, at least
// len(x)/4 long), then ±decim samples around the coarse peak at full rate.
func bestLag(x, scratch []float32, lmax int) (int, float64) {
	nd := len(x) / decim
	d := scratch[:nd]
	for i := range d {
		var s float32
		for _, v := range x[i*decim : i*decim+decim] {
			s += v
		}
		d[i] = s
	}
	best, bestC := 0, -2.0
	for l := minLag / decim; l <= lmax/decim && 2*l <= nd; l++ {
		if c := ncc(d[:l], d[l:2*l]); c > bestC {
			best, bestC = l*decim, c
		}
	}
	if best == 0 {
		return 0, 0
	}
	coarse := best
	bestC = -2
	for l := max(minLag, coarse-decim); l <= min(lmax, coarse+decim) && 2*l <= len(x); l++ {
		if c := ncc(x[:l], x[l:2*l]); c > bestC {
			best, bestC = l, c
		}
	}
	return best, bestC
}

// ncc is the normalised cross-correlation of a and b (equal lengths); 0 for silence.
func ncc(a, b []float32) float64 {
	var ab, aa, bb float64
	b = b[:len(a)]
	for i, v := range a {
		w := b[i]
		ab += float64(v) * float64(w)
		aa += float64(v) * float64(v)
		bb += float64(w) * float64(w)
	}
	if aa <= 0 || bb <= 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// power is the mean square of x.
func power(x []float32) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s / float64(len(x))
}

// removePeriod cross-fades x[0:L] into x[L:2L] and closes the gap: the first sample stays
// x[0] and the sample after the cross-fade is x[2L], so the joints are continuous. arr moves
// with the samples. It returns the new length, len(x)−L.
func removePeriod(x []float32, arr []time.Duration, l int) int {
	for i := range l {
		w := (float32(i) + 0.5) / float32(l)
		x[i] = x[i]*(1-w) + x[l+i]*w
	}
	copy(x[l:], x[2*l:])
	copy(arr[l:], arr[2*l:])
	return len(x) - l
}

// insertPeriod repeats one period: the output is x[0:L], a cross-fade from x[L:2L] into
// x[0:L], then x[L:]. x must have L spare samples of capacity beyond n (its used length); arr
// likewise. It returns the new length n+L.
func insertPeriod(x []float32, arr []time.Duration, n, l int) int {
	x = x[:n+l]
	arr = arr[:n+l]
	copy(x[2*l:], x[l:n])
	copy(arr[2*l:], arr[l:n])
	for i := range l {
		w := (float32(i) + 0.5) / float32(l)
		x[l+i] = x[2*l+i]*(1-w) + x[i]*w
		arr[l+i] = arr[i]
	}
	return n + l
}
