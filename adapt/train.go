package adapt

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Sample is one training example: the feature vector at some time, the targets observed after
// it, and the trace it came from (the held-back slice is chosen by trace, so that no trace
// feeds both sides of the split).
type Sample struct {
	X     [NumInputs]float64
	Y     [NumOutputs]float64
	Trace int
}

// TrainConfig configures Train. The zero value of a field means the default given.
type TrainConfig struct {
	Hidden1, Hidden2 int     // hidden widths, 1..MaxHidden (32, 32)
	Epochs           int     // passes over the training slice (40)
	BatchSize        int     // mini-batch size (64)
	LearningRate     float64 // Adam step size (0.003)
	Seed             uint64  // initial weights and shuffling (0 is a valid seed)
	// HoldOut is the fraction 0..1 of traces held back for evaluation (0.2); the traces with
	// the highest Trace numbers are held back.
	HoldOut float64
}

func (c *TrainConfig) defaults() error {
	if c.Hidden1 == 0 {
		c.Hidden1 = 32
	}
	if c.Hidden2 == 0 {
		c.Hidden2 = 32
	}
	if c.Epochs == 0 {
		c.Epochs = 40
	}
	if c.BatchSize == 0 {
		c.BatchSize = 64
	}
	if c.LearningRate == 0 {
		c.LearningRate = 0.003
	}
	if c.HoldOut == 0 {
		c.HoldOut = 0.2
	}
	switch {
	case c.Hidden1 < 1 || c.Hidden1 > MaxHidden || c.Hidden2 < 1 || c.Hidden2 > MaxHidden:
		return fmt.Errorf("%w: hidden widths %d, %d (want 1..%d)", ErrConfig, c.Hidden1, c.Hidden2, MaxHidden)
	case c.Epochs < 0 || c.BatchSize < 1 || !(c.LearningRate > 0) || !(c.HoldOut > 0 && c.HoldOut < 1):
		return fmt.Errorf("%w: epochs %d, batch %d, learning rate %v, hold-out %v", ErrConfig,
			c.Epochs, c.BatchSize, c.LearningRate, c.HoldOut)
	}
	return nil
}

// Evaluation is the prediction error on the held-back slice, per output in target-vector units
// (see Out*): mean absolute error of the model, of predicting the training mean, and of
// persistence (the last medium window's value, for loss, burst and delays; rate has none: NaN).
type Evaluation struct {
	Samples     int
	ModelMAE    [NumOutputs]float64
	MeanMAE     [NumOutputs]float64
	PersistMAE  [NumOutputs]float64
	TrainLoss   float64 // final mean squared error on the training slice, standardised units
	HeldOutLoss float64 // the same on the held-back slice
}

// Train fits a model to samples deterministically: the same samples (in the same order) and
// configuration give bit-identical weights. It returns the model and its error on the held-back
// slice, or an error wrapping ErrConfig or ErrTraining.
func Train(samples []Sample, cfg TrainConfig) (*Model, Evaluation, error) {
	if err := cfg.defaults(); err != nil {
		return nil, Evaluation{}, err
	}
	maxTrace := 0
	for i := range samples {
		maxTrace = max(maxTrace, samples[i].Trace)
	}
	cut := int(math.Floor(float64(maxTrace+1) * (1 - cfg.HoldOut)))
	var train, test []*Sample
	for i := range samples {
		if samples[i].Trace < cut {
			train = append(train, &samples[i])
		} else {
			test = append(test, &samples[i])
		}
	}
	if len(train) < cfg.BatchSize || len(test) == 0 {
		return nil, Evaluation{}, fmt.Errorf("%w: %d training and %d held-back samples (need ≥ %d and ≥ 1)",
			ErrTraining, len(train), len(test), cfg.BatchSize)
	}

	m := newModel(cfg.Hidden1, cfg.Hidden2)
	standardise(m, train)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	for _, l := range []struct {
		w      []float64
		fanIn  int
		fanOut int
	}{{m.w1, NumInputs, cfg.Hidden1}, {m.w2, cfg.Hidden1, cfg.Hidden2}, {m.w3, cfg.Hidden2, NumOutputs}} {
		a := math.Sqrt(6 / float64(l.fanIn+l.fanOut))
		for i := range l.w {
			l.w[i] = (2*rng.Float64() - 1) * a
		}
	}

	g := newGradBuf(m, cfg.BatchSize)
	opt := newAdam(m, cfg.LearningRate)
	order := make([]int, len(train))
	for i := range order {
		order[i] = i
	}
	for range cfg.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for b := 0; b+cfg.BatchSize <= len(order); b += cfg.BatchSize {
			g.load(m, train, order[b:b+cfg.BatchSize])
			if l := g.lossAndGrad(m); math.IsNaN(l) || math.IsInf(l, 0) {
				return nil, Evaluation{}, fmt.Errorf("%w: non-finite loss", ErrTraining)
			}
			opt.step(m, g)
		}
	}
	ev := evaluate(m, train, test)
	return m, ev, nil
}

// standardise sets the model's input and output scaling and input range from the training slice.
func standardise(m *Model, train []*Sample) {
	n := float64(len(train))
	for i := range NumInputs {
		var s, s2 float64
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, t := range train {
			v := t.X[i]
			s += v
			s2 += v * v
			lo, hi = min(lo, v), max(hi, v)
		}
		mean := s / n
		m.inMean[i] = mean
		m.inStd[i] = math.Sqrt(max(s2/n-mean*mean, 0)) + 1e-3
		m.inLo[i], m.inHi[i] = lo, hi
	}
	for k := range NumOutputs {
		var s, s2 float64
		for _, t := range train {
			s += t.Y[k]
			s2 += t.Y[k] * t.Y[k]
		}
		mean := s / n
		m.outMean[k] = mean
		m.outStd[k] = math.Sqrt(max(s2/n-mean*mean, 0)) + 1e-3
	}
}

// evaluate computes the held-back errors and both slices' standardised losses.
func evaluate(m *Model, train, test []*Sample) Evaluation {
	ev := Evaluation{Samples: len(test)}
	persist := [NumOutputs]int{-1, perWindowInputs + 2, perWindowInputs + 3, perWindowInputs + 6,
		perWindowInputs + 7, perWindowInputs + 8}
	for _, t := range test {
		y := m.forward(&t.X)
		for k := range NumOutputs {
			ev.ModelMAE[k] += math.Abs(y[k] - t.Y[k])
			ev.MeanMAE[k] += math.Abs(m.outMean[k] - t.Y[k])
			if persist[k] >= 0 {
				p := t.X[persist[k]]
				if k == OutBurst {
					p = max(p, 1)
				}
				ev.PersistMAE[k] += math.Abs(p - t.Y[k])
			}
		}
		ev.HeldOutLoss += sqErr(m, &y, t)
	}
	n := float64(len(test))
	for k := range NumOutputs {
		ev.ModelMAE[k] /= n
		ev.MeanMAE[k] /= n
		ev.PersistMAE[k] /= n
	}
	ev.PersistMAE[OutRate] = math.NaN()
	ev.HeldOutLoss /= n
	for _, t := range train {
		y := m.forward(&t.X)
		ev.TrainLoss += sqErr(m, &y, t)
	}
	ev.TrainLoss /= float64(len(train))
	return ev
}

// sqErr is the mean squared standardised error of one prediction.
func sqErr(m *Model, y *raw, t *Sample) float64 {
	var s float64
	for k := range NumOutputs {
		d := (y[k] - t.Y[k]) / m.outStd[k]
		s += d * d
	}
	return s / NumOutputs
}

// gradBuf holds one mini-batch and the gradients of the mean squared error over it, as gonum
// matrices sharing preallocated storage.
type gradBuf struct {
	x, t          *mat.Dense // B×I inputs (standardised), B×O targets (standardised)
	a1, a2, y     *mat.Dense // activations
	d1, d2, dy    *mat.Dense // errors
	gw1, gw2, gw3 *mat.Dense // weight gradients, shaped like the weights
	gb1, gb2, gb3 []float64
}

func newGradBuf(m *Model, b int) *gradBuf {
	return &gradBuf{
		x: mat.NewDense(b, NumInputs, nil), t: mat.NewDense(b, NumOutputs, nil),
		a1: mat.NewDense(b, m.h1, nil), a2: mat.NewDense(b, m.h2, nil), y: mat.NewDense(b, NumOutputs, nil),
		d1: mat.NewDense(b, m.h1, nil), d2: mat.NewDense(b, m.h2, nil), dy: mat.NewDense(b, NumOutputs, nil),
		gw1: mat.NewDense(m.h1, NumInputs, nil), gw2: mat.NewDense(m.h2, m.h1, nil),
		gw3: mat.NewDense(NumOutputs, m.h2, nil),
		gb1: make([]float64, m.h1), gb2: make([]float64, m.h2), gb3: make([]float64, NumOutputs),
	}
}

// load copies the batch's samples, standardised.
func (g *gradBuf) load(m *Model, s []*Sample, idx []int) {
	for r, i := range idx {
		for c := range NumInputs {
			g.x.Set(r, c, (s[i].X[c]-m.inMean[c])/m.inStd[c])
		}
		for k := range NumOutputs {
			g.t.Set(r, k, (s[i].Y[k]-m.outMean[k])/m.outStd[k])
		}
	}
}

// lossAndGrad runs the batch forward and backward: it returns the mean squared error (over
// samples and outputs) and leaves its gradient with respect to every parameter in g.
func (g *gradBuf) lossAndGrad(m *Model) float64 {
	w1 := mat.NewDense(m.h1, NumInputs, m.w1)
	w2 := mat.NewDense(m.h2, m.h1, m.w2)
	w3 := mat.NewDense(NumOutputs, m.h2, m.w3)
	b, _ := g.x.Dims()

	// Forward: A1 = tanh(X·W1ᵀ + b1), A2 = tanh(A1·W2ᵀ + b2), Y = A2·W3ᵀ + b3.
	g.a1.Mul(g.x, w1.T())
	addBias(g.a1, m.b1, true)
	g.a2.Mul(g.a1, w2.T())
	addBias(g.a2, m.b2, true)
	g.y.Mul(g.a2, w3.T())
	addBias(g.y, m.b3, false)

	// Loss L = Σ(Y−T)²/(B·O); dL/dY = 2(Y−T)/(B·O).
	g.dy.Sub(g.y, g.t)
	loss := mat.Norm(g.dy, 2)
	loss = loss * loss / float64(b*NumOutputs)
	g.dy.Scale(2/float64(b*NumOutputs), g.dy)

	// Backward through each layer: dW = dZᵀ·A_prev, db = Σ_rows dZ, dA_prev = dZ·W,
	// and through tanh dZ = dA ⊙ (1 − A²).
	g.gw3.Mul(g.dy.T(), g.a2)
	colSum(g.dy, g.gb3)
	g.d2.Mul(g.dy, w3)
	tanhBack(g.d2, g.a2)
	g.gw2.Mul(g.d2.T(), g.a1)
	colSum(g.d2, g.gb2)
	g.d1.Mul(g.d2, w2)
	tanhBack(g.d1, g.a1)
	g.gw1.Mul(g.d1.T(), g.x)
	colSum(g.d1, g.gb1)
	return loss
}

func addBias(a *mat.Dense, bias []float64, tanh bool) {
	r, c := a.Dims()
	for i := range r {
		row := a.RawRowView(i)
		for j := range c {
			v := row[j] + bias[j]
			if tanh {
				v = math.Tanh(v)
			}
			row[j] = v
		}
	}
}

func tanhBack(d, a *mat.Dense) {
	r, _ := d.Dims()
	for i := range r {
		dr, ar := d.RawRowView(i), a.RawRowView(i)
		for j := range dr {
			dr[j] *= 1 - ar[j]*ar[j]
		}
	}
}

func colSum(a *mat.Dense, out []float64) {
	clear(out)
	r, _ := a.Dims()
	for i := range r {
		for j, v := range a.RawRowView(i) {
			out[j] += v
		}
	}
}

// adam is the Adam optimiser's state for every parameter slice.
type adam struct {
	lr       float64
	t        int
	mom, vel [][]float64
}

func newAdam(m *Model, lr float64) *adam {
	a := &adam{lr: lr}
	for _, p := range m.params() {
		a.mom = append(a.mom, make([]float64, len(p)))
		a.vel = append(a.vel, make([]float64, len(p)))
	}
	return a
}

// params lists the trainable slices; grads the matching gradients, in the same order.
func (m *Model) params() [][]float64 { return [][]float64{m.w1, m.b1, m.w2, m.b2, m.w3, m.b3} }

func (g *gradBuf) grads() [][]float64 {
	return [][]float64{g.gw1.RawMatrix().Data, g.gb1, g.gw2.RawMatrix().Data, g.gb2, g.gw3.RawMatrix().Data, g.gb3}
}

func (a *adam) step(m *Model, g *gradBuf) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	a.t++
	c1 := 1 - math.Pow(b1, float64(a.t))
	c2 := 1 - math.Pow(b2, float64(a.t))
	grads := g.grads()
	for s, p := range m.params() {
		gr, mo, ve := grads[s], a.mom[s], a.vel[s]
		for i := range p {
			mo[i] = b1*mo[i] + (1-b1)*gr[i]
			ve[i] = b2*ve[i] + (1-b2)*gr[i]*gr[i]
			p[i] -= a.lr * (mo[i] / c1) / (math.Sqrt(ve[i]/c2) + eps)
		}
	}
}
