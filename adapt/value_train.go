package adapt

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// DefaultValueRidge is TrainValue's default ridge penalty (per sample, on standardised terms).
const DefaultValueRidge = 1e-3

// TrainValue fits a ValueModel to counterfactual rollouts by ridge regression of the residuals
// on the NumValueWeights products ctx_i·cand_j, solved in closed form (gonum's Cholesky): the
// same samples give bit-identical weights. ridge ≤ 0 means DefaultValueRidge. It returns the
// model and the root-mean-square residual before and after the correction.
func TrainValue(samples []ValueSample, ridge float64) (m *ValueModel, rmsBefore, rmsAfter float64, err error) {
	if len(samples) < 2*NumValueWeights {
		return nil, 0, 0, fmt.Errorf("%w: %d value samples (want at least %d)", ErrTraining, len(samples), 2*NumValueWeights)
	}
	if ridge <= 0 {
		ridge = DefaultValueRidge
	}
	const n = NumValueWeights
	var x [n]float64
	xtx := mat.NewSymDense(n, nil)
	xty := mat.NewVecDense(n, nil)
	var ss float64
	for k := range samples {
		s := &samples[k]
		if math.IsNaN(s.Residual) || math.IsInf(s.Residual, 0) {
			return nil, 0, 0, fmt.Errorf("%w: sample %d has a non-finite residual", ErrTraining, k)
		}
		terms(&x, s)
		for i := range n {
			if x[i] == 0 {
				continue
			}
			xty.SetVec(i, xty.AtVec(i)+x[i]*s.Residual)
			for j := i; j < n; j++ {
				xtx.SetSym(i, j, xtx.At(i, j)+x[i]*x[j])
			}
		}
		ss += s.Residual * s.Residual
	}
	lam := ridge * float64(len(samples))
	for i := range n {
		xtx.SetSym(i, i, xtx.At(i, i)+lam)
	}
	var ch mat.Cholesky
	if !ch.Factorize(xtx) {
		return nil, 0, 0, fmt.Errorf("%w: value regression is singular", ErrTraining)
	}
	w := mat.NewVecDense(n, nil)
	if err := ch.SolveVecTo(w, xty); err != nil {
		return nil, 0, 0, fmt.Errorf("%w: value regression: %v", ErrTraining, err)
	}
	m = &ValueModel{Samples: len(samples)}
	for i := range NumContext {
		for j := range NumCandidate {
			m.W[i][j] = w.AtVec(i*NumCandidate + j)
		}
	}
	var after float64
	for k := range samples {
		s := &samples[k]
		d := s.Residual - m.Correction(&s.Context, &s.Candidate)
		after += d * d
	}
	N := float64(len(samples))
	return m, math.Sqrt(ss / N), math.Sqrt(after / N), nil
}

// terms fills x with the products ctx_i·cand_j of s.
func terms(x *[NumValueWeights]float64, s *ValueSample) {
	for i := range NumContext {
		for j := range NumCandidate {
			x[i*NumCandidate+j] = s.Context[i] * s.Candidate[j]
		}
	}
}

// EvaluateValue returns the root-mean-square residual of samples before and after m's
// correction (for samples held back from training).
func EvaluateValue(m *ValueModel, samples []ValueSample) (rmsBefore, rmsAfter float64) {
	if len(samples) == 0 {
		return math.NaN(), math.NaN()
	}
	var b, a float64
	for k := range samples {
		s := &samples[k]
		d := s.Residual - m.Correction(&s.Context, &s.Candidate)
		b += s.Residual * s.Residual
		a += d * d
	}
	n := float64(len(samples))
	return math.Sqrt(b / n), math.Sqrt(a / n)
}
