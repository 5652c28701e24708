package adapt

import "math"

// Layout of the predictor's input vector (Features.Vector): perWindowInputs values per window,
// then the global ones.
const (
	perWindowInputs = 14
	globalInputs    = 4
	// NumInputs is the length of a feature vector.
	NumInputs = perWindowInputs*NumWindows + globalInputs
)

// Prediction outputs, in the order of a target vector (Sample.Y).
const (
	OutRate    = iota // log2 of the sustainable wire rate in kb/s
	OutLoss           // loss fraction 0..1 over the next second
	OutBurst          // mean loss-burst length in packets (≥ 1) over the next second
	OutDelay50        // one-way delay above the base, p50, in units of 100 ms, next second
	OutDelay95        // ... p95
	OutDelay99        // ... p99
	// NumOutputs is the length of a target vector.
	NumOutputs
)

// Vector maps a snapshot onto the predictor's input: rates on a log scale, delays in 100 ms (and
// jitter in 10 ms) units, every value clamped to a sane range so that a wild input cannot
// produce a non-finite one. It does not allocate.
func (f *Features) Vector() [NumInputs]float64 {
	var v [NumInputs]float64
	for i, w := range f.Windows {
		o := v[i*perWindowInputs : (i+1)*perWindowInputs]
		o[0] = log2p(w.PacketRate)
		o[1] = log2p(w.ArrivalRateBps / 1000)
		o[2] = clamp(w.Loss, 0, 1)
		o[3] = clamp(w.MeanBurst, 0, 50)
		o[4] = log2p(float64(w.MaxBurst))
		o[5] = clamp(w.Jitter.Seconds()*100, 0, 100)
		o[6] = clamp(w.DelayP50.Seconds()*10, -10, 100)
		o[7] = clamp(w.DelayP95.Seconds()*10, -10, 100)
		o[8] = clamp(w.DelayP99.Seconds()*10, -10, 100)
		o[9] = clamp(w.DelayMax.Seconds()*10, -10, 100)
		o[10] = clamp(w.DelayStd.Seconds()*100, 0, 100)
		o[11] = clamp(w.Gradient, -5, 5)
		if w.Window > 0 {
			o[12] = clamp(float64(w.MaxGap)/float64(w.Window), 0, 1)
		}
		o[13] = clamp(w.Dispersion, 0, 5)
	}
	g := v[NumWindows*perWindowInputs:]
	g[0] = clamp(f.SinceLast.Seconds(), 0, 10)
	g[1] = clamp(f.RTT.Seconds()*10, 0, 100)
	g[2] = clamp(f.RTTMin.Seconds()*10, 0, 100)
	g[3] = log2p(f.SendRateBps / 1000)
	return v
}

// Targets builds a target vector from what was observed over the next second (the medium
// window of a snapshot taken one second later) and the sustainable wire rate in bit/s.
func Targets(next *Features, sustainableBps float64) [NumOutputs]float64 {
	var y [NumOutputs]float64
	w := next.Windows[1]
	y[OutRate] = log2p(sustainableBps / 1000)
	y[OutLoss] = clamp(w.Loss, 0, 1)
	y[OutBurst] = clamp(max(w.MeanBurst, 1), 1, 50)
	y[OutDelay50] = clamp(w.DelayP50.Seconds()*10, -10, 100)
	y[OutDelay95] = clamp(w.DelayP95.Seconds()*10, -10, 100)
	y[OutDelay99] = clamp(w.DelayP99.Seconds()*10, -10, 100)
	return y
}

// log2p is log2(1+x) for x ≥ 0 (clamped), bounded for huge x.
func log2p(x float64) float64 { return math.Log2(1 + clamp(x, 0, 1e7)) }

// clamp bounds x to [lo, hi]; NaN becomes lo.
func clamp(x, lo, hi float64) float64 {
	if !(x >= lo) {
		return lo
	}
	return min(x, hi)
}
