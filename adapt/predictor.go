package adapt

import (
	"fmt"
	"math"
	"time"
)

// Online correction parameters.
const (
	// correctionHorizon is how far ahead the loss, burst and delay targets look: a prediction made
	// at t is checked against the medium window of a snapshot taken between t+1 s and t+1.5 s.
	correctionHorizon = time.Second
	correctionSlack   = 500 * time.Millisecond
	// rlsForget is the recursive-least-squares forgetting factor: an effective memory of about
	// 1/(1−λ) ≈ 7 checked predictions, i.e. 4–7 s of a call.
	rlsForget = 0.85
	// residualAlpha smooths the absolute residuals; residualLimit (in training standard
	// deviations) marks the model as out of its depth once residualMinChecks were made.
	residualAlpha     = 0.2
	residualLimit     = 1.5
	residualMinChecks = 5
	pendingCap        = 16
	// correctionMinChecks is the number of checked predictions before the correction applies.
	correctionMinChecks = 3
)

// rlsInitP is the initial RLS covariance: the bias may move quickly, the gain on the model's
// output only slowly (a few points cannot tell a slope).
var rlsInitP = [2][2]float64{{10, 0}, {0, 0.05}}

// Predictor is a Model with a per-call online correction: for each of the loss, burst and delay
// outputs a two-parameter linear model of the residual (bias and gain on the model's
// standardised output) fitted by recursive least squares, once the second a prediction looked
// at has been observed. The rate output has no online ground truth and is not corrected. It also
// tracks the size of the residuals, so a caller can tell when the model is out of its depth.
// Not safe for concurrent use; one per call.
type Predictor struct {
	m *Model

	theta  [NumOutputs][2]float64
	p      [NumOutputs][2][2]float64
	resid  [NumOutputs]float64 // smoothed |corrected residual| / outStd
	checks int

	pend     [pendingCap]pendingPrediction
	pendHead int
	pendN    int
}

// pendingPrediction is a model output waiting for its outcome.
type pendingPrediction struct {
	at time.Duration
	y  raw
}

// NewPredictor returns a predictor over m (not nil).
func NewPredictor(m *Model) (*Predictor, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil model", ErrConfig)
	}
	p := &Predictor{m: m}
	p.Reset()
	return p, nil
}

// Reset forgets the call's corrections.
func (p *Predictor) Reset() {
	m := p.m
	*p = Predictor{m: m}
	for k := range p.p {
		p.p[k] = rlsInitP
	}
}

// Checks is the number of predictions checked against their outcome so far.
func (p *Predictor) Checks() int { return p.checks }

// Residual returns the smoothed absolute residual of output k (see Out*) in units of the
// training standard deviation, after correction.
func (p *Predictor) Residual(k int) float64 {
	if k < 0 || k >= NumOutputs {
		return 0
	}
	return p.resid[k]
}

// Predict checks earlier predictions whose outcome f now shows, updates the correction, and
// returns the corrected prediction for f. Snapshots must come in time order. It does not
// allocate.
func (p *Predictor) Predict(f *Features) Prediction {
	x := f.Vector()
	y := p.m.forward(&x)
	clampRaw(&y) // residuals are taken against what the model can mean, not its raw overshoot
	p.mature(f)
	p.push(f.At, &y)
	yc := y
	if p.checks >= correctionMinChecks {
		for k := OutLoss; k < NumOutputs; k++ {
			yc[k] += p.correction(k, &y)
		}
	}
	pr := fromRaw(&yc)
	pr.OutOfRange = p.m.outOfRange(&x)
	pr.Warmup = f.Span < WindowLong
	if p.checks >= residualMinChecks {
		for k := OutLoss; k < NumOutputs; k++ {
			if p.resid[k] > residualLimit {
				pr.LargeResiduals = true
			}
		}
	}
	return pr
}

// phi is the regressor of output k: a constant and the model's standardised output.
func (p *Predictor) phi(k int, y *raw) [2]float64 {
	return [2]float64{1, (y[k] - p.m.outMean[k]) / p.m.outStd[k]}
}

func (p *Predictor) correction(k int, y *raw) float64 {
	ph := p.phi(k, y)
	return p.theta[k][0]*ph[0] + p.theta[k][1]*ph[1]
}

func (p *Predictor) push(at time.Duration, y *raw) {
	e := pendingPrediction{at: at, y: *y}
	if p.pendN == pendingCap {
		p.pend[p.pendHead] = e
		p.pendHead = (p.pendHead + 1) % pendingCap
		return
	}
	p.pend[(p.pendHead+p.pendN)%pendingCap] = e
	p.pendN++
}

// mature checks the pending predictions f's medium window covers, and drops stale ones.
func (p *Predictor) mature(f *Features) {
	for p.pendN > 0 {
		e := &p.pend[p.pendHead]
		age := f.At - e.at
		if age < correctionHorizon {
			return
		}
		if age <= correctionHorizon+correctionSlack {
			p.check(f, &e.y)
		}
		p.pendHead = (p.pendHead + 1) % pendingCap
		p.pendN--
	}
}

// check folds one outcome into the RLS fits and the residual gauges.
func (p *Predictor) check(f *Features, y *raw) {
	obs := Targets(f, 0)
	p.checks++
	for k := OutLoss; k < NumOutputs; k++ {
		r := obs[k] - y[k] // what the model missed
		ph := p.phi(k, y)
		th := &p.theta[k]
		e := r - (th[0]*ph[0] + th[1]*ph[1]) // what the correction missed
		p.resid[k] += residualAlpha * (math.Abs(e)/p.m.outStd[k] - p.resid[k])

		P := &p.p[k]
		pp := [2]float64{P[0][0]*ph[0] + P[0][1]*ph[1], P[1][0]*ph[0] + P[1][1]*ph[1]}
		den := rlsForget + ph[0]*pp[0] + ph[1]*pp[1]
		g := [2]float64{pp[0] / den, pp[1] / den}
		th[0] += g[0] * e
		th[1] += g[1] * e
		// Keep the correction within a few training standard deviations.
		lim := 3 * p.m.outStd[k]
		th[0] = clamp(th[0], -lim, lim)
		th[1] = clamp(th[1], -lim, lim)
		for i := range 2 {
			for j := range 2 {
				P[i][j] = (P[i][j] - g[i]*pp[j]) / rlsForget
			}
		}
		// Bound the covariance so long quiet stretches cannot wind it up.
		if P[0][0]+P[1][1] > 1e3 {
			*P = rlsInitP
		}
	}
}

// clampRaw bounds a target-vector to the outputs' valid ranges (see fromRaw).
func clampRaw(y *raw) {
	y[OutLoss] = clamp(y[OutLoss], 0, 1)
	y[OutBurst] = clamp(y[OutBurst], 1, 50)
	for k := OutDelay50; k <= OutDelay99; k++ {
		y[k] = clamp(y[k], 0, 100)
	}
}
