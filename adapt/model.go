package adapt

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// MaxHidden bounds the width of each hidden layer, so Predict can keep its activations on the
// stack.
const MaxHidden = 64

// modelMagic starts an encoded model; the version follows it.
const (
	modelMagic   = "PRLYMLP"
	modelVersion = 1
)

// Model is the network predictor: a multilayer perceptron with two tanh hidden layers mapping a
// standardised feature vector (Features.Vector) to standardised targets (see Out*). Immutable
// after construction; safe for concurrent use.
type Model struct {
	h1, h2 int
	// Standardisation of inputs and outputs, from the training set.
	inMean, inStd   [NumInputs]float64
	outMean, outStd [NumOutputs]float64
	// inLo, inHi is the range of each (raw) input seen in training; a vector outside it by
	// more than a quarter of the range is out of the model's depth.
	inLo, inHi [NumInputs]float64
	// Weights, row-major: w1 is h1×NumInputs, w2 h2×h1, w3 NumOutputs×h2.
	w1, b1, w2, b2, w3, b3 []float64
}

// Prediction is the predictor's view of the next one to two seconds of the path.
type Prediction struct {
	// SustainableBps is the wire rate (payload plus packet headers, bit/s) the path is
	// predicted to carry over the next two seconds without building a queue.
	SustainableBps float64
	// Loss is the predicted loss fraction 0..1 and MeanBurst the mean loss-run length in
	// packets (≥ 1) over the next second.
	Loss, MeanBurst float64
	// DelayP50, DelayP95 and DelayP99 are quantiles of the one-way delay above the base delay
	// over the next second (non-decreasing, ≥ 0).
	DelayP50, DelayP95, DelayP99 time.Duration
	// OutOfRange reports that the features lay outside the training data's range, so the
	// prediction should not be trusted.
	OutOfRange bool
	// LargeResiduals reports (from a Predictor only) that the call's recent predictions missed
	// their outcomes by more than 1.5 training standard deviations on average, even corrected.
	LargeResiduals bool
	// Warmup reports (from a Predictor only) that the features' longest window is not yet full:
	// the model was trained on full windows only.
	Warmup bool
}

// Trusted reports whether none of the out-of-depth signals is set.
func (p Prediction) Trusted() bool { return !p.OutOfRange && !p.LargeResiduals && !p.Warmup }

// raw is a prediction in target-vector units, before post-processing.
type raw = [NumOutputs]float64

// Predict runs the model on f. It does not allocate.
func (m *Model) Predict(f *Features) Prediction {
	x := f.Vector()
	y := m.forward(&x)
	p := fromRaw(&y)
	p.OutOfRange = m.outOfRange(&x)
	return p
}

// forward evaluates the network on a raw feature vector and returns target-vector units.
func (m *Model) forward(x *[NumInputs]float64) raw {
	var z [NumInputs]float64
	for i := range z {
		z[i] = (x[i] - m.inMean[i]) / m.inStd[i]
	}
	var a1, a2 [MaxHidden]float64
	dense(m.w1, m.b1, z[:], a1[:m.h1], true)
	dense(m.w2, m.b2, a1[:m.h1], a2[:m.h2], true)
	var y raw
	dense(m.w3, m.b3, a2[:m.h2], y[:], false)
	for k := range y {
		y[k] = y[k]*m.outStd[k] + m.outMean[k]
	}
	return y
}

// dense computes out = act(W·in + b) for W of len(out)×len(in), row-major.
func dense(w, b, in, out []float64, tanh bool) {
	n := len(in)
	for j := range out {
		row := w[j*n : (j+1)*n]
		s := b[j]
		for i, v := range in {
			s += row[i] * v
		}
		if tanh {
			s = math.Tanh(s)
		}
		out[j] = s
	}
}

// outOfRange reports whether x leaves the training range by more than a quarter of its width.
func (m *Model) outOfRange(x *[NumInputs]float64) bool {
	for i, v := range x {
		margin := 0.25*(m.inHi[i]-m.inLo[i]) + 1e-9
		if v < m.inLo[i]-margin || v > m.inHi[i]+margin {
			return true
		}
	}
	return false
}

// fromRaw converts target-vector units into a Prediction with its invariants enforced.
func fromRaw(y *raw) Prediction {
	d50 := clamp(y[OutDelay50], 0, 100)
	d95 := max(clamp(y[OutDelay95], 0, 100), d50)
	d99 := max(clamp(y[OutDelay99], 0, 100), d95)
	return Prediction{
		SustainableBps: (math.Exp2(clamp(y[OutRate], 0, 24)) - 1) * 1000,
		Loss:           clamp(y[OutLoss], 0, 1),
		MeanBurst:      clamp(y[OutBurst], 1, 50),
		DelayP50:       seconds(d50 / 10),
		DelayP95:       seconds(d95 / 10),
		DelayP99:       seconds(d99 / 10),
	}
}

// Hidden returns the widths of the two hidden layers.
func (m *Model) Hidden() (int, int) { return m.h1, m.h2 }

// NumParams is the number of weights and biases.
func (m *Model) NumParams() int {
	return len(m.w1) + len(m.b1) + len(m.w2) + len(m.b2) + len(m.w3) + len(m.b3)
}

// MarshalBinary encodes the model: magic, version, layer sizes, then every float64 little-endian.
func (m *Model) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(modelMagic)
	b.WriteByte(modelVersion)
	for _, n := range []uint16{NumInputs, uint16(m.h1), uint16(m.h2), NumOutputs} {
		_ = binary.Write(&b, binary.LittleEndian, n)
	}
	for _, s := range m.sections() {
		_ = binary.Write(&b, binary.LittleEndian, s)
	}
	return b.Bytes(), nil
}

// sections lists the model's parameter slices in encoding order.
func (m *Model) sections() [][]float64 {
	return [][]float64{m.inMean[:], m.inStd[:], m.outMean[:], m.outStd[:], m.inLo[:], m.inHi[:],
		m.w1, m.b1, m.w2, m.b2, m.w3, m.b3}
}

// newModel allocates a zero model with the given hidden widths.
func newModel(h1, h2 int) *Model {
	return &Model{h1: h1, h2: h2,
		w1: make([]float64, h1*NumInputs), b1: make([]float64, h1),
		w2: make([]float64, h2*h1), b2: make([]float64, h2),
		w3: make([]float64, NumOutputs*h2), b3: make([]float64, NumOutputs)}
}

// DecodeModel decodes MarshalBinary's output. It returns an error wrapping ErrModel for any
// malformed input: wrong magic or version, a layout that does not match this build's feature and
// target vectors, hidden widths outside 1..MaxHidden, a wrong length, a non-finite value or a
// non-positive standard deviation.
func DecodeModel(data []byte) (*Model, error) {
	hdr := len(modelMagic) + 1 + 8
	if len(data) < hdr || string(data[:len(modelMagic)]) != modelMagic {
		return nil, fmt.Errorf("%w: bad magic", ErrModel)
	}
	if v := data[len(modelMagic)]; v != modelVersion {
		return nil, fmt.Errorf("%w: version %d (want %d)", ErrModel, v, modelVersion)
	}
	d := data[len(modelMagic)+1:]
	in, h1, h2, out := binary.LittleEndian.Uint16(d), int(binary.LittleEndian.Uint16(d[2:])),
		int(binary.LittleEndian.Uint16(d[4:])), binary.LittleEndian.Uint16(d[6:])
	if in != NumInputs || out != NumOutputs {
		return nil, fmt.Errorf("%w: layout %d→%d (want %d→%d)", ErrModel, in, out, NumInputs, NumOutputs)
	}
	if h1 < 1 || h1 > MaxHidden || h2 < 1 || h2 > MaxHidden {
		return nil, fmt.Errorf("%w: hidden widths %d, %d (want 1..%d)", ErrModel, h1, h2, MaxHidden)
	}
	m := newModel(h1, h2)
	body := data[hdr:]
	need := 0
	for _, s := range m.sections() {
		need += 8 * len(s)
	}
	if len(body) != need {
		return nil, fmt.Errorf("%w: %d bytes of parameters (want %d)", ErrModel, len(body), need)
	}
	for _, s := range m.sections() {
		for i := range s {
			v := math.Float64frombits(binary.LittleEndian.Uint64(body))
			body = body[8:]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: non-finite parameter", ErrModel)
			}
			s[i] = v
		}
	}
	for _, s := range [][]float64{m.inStd[:], m.outStd[:]} {
		for _, v := range s {
			if !(v > 0) {
				return nil, fmt.Errorf("%w: non-positive standard deviation", ErrModel)
			}
		}
	}
	return m, nil
}

//go:embed model.bin
var embeddedModel []byte

// DefaultModel decodes the model embedded in this package (trained by `parley bench train`).
func DefaultModel() (*Model, error) { return DecodeModel(embeddedModel) }

// EmbeddedModelBytes is the size of the embedded model, for reporting.
func EmbeddedModelBytes() int { return len(embeddedModel) }
