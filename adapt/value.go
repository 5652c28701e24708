package adapt

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"fmt"
	"math"
)

// The value model's inputs: NumContext numbers describing the path (from the features, the
// conditions and the rate budget) and NumCandidate describing a candidate setting.
const (
	NumContext   = 9
	NumCandidate = 8
	// NumValueWeights is the number of weights of a ValueModel.
	NumValueWeights = NumContext * NumCandidate
)

const (
	valueMagic   = "PRLYVAL"
	valueVersion = 1
)

// ValueModel is the learned part of the decision: a correction, in R points, of the quality
// model's forecast of what a candidate setting yields over the next window, learned from
// counterfactual rollouts (the bench forks the virtual-time run at a decision point, runs each
// candidate for the window and measures its QoE). It is bilinear, ctxᵀ·W·cand, so that it
// generalises across links: how much the forecast errs for a redundancy depth, a frame size or
// a jitter target depends on the loss, burstiness, delay spread and rate budget of the path.
// Immutable; safe for concurrent use.
type ValueModel struct {
	W [NumContext][NumCandidate]float64
	// Samples is the number of rollouts it was fitted on (0: untrained, no correction).
	Samples int
}

// ValueSample is one counterfactual rollout: the context at the decision point, the candidate
// tried, and Residual = the QoE the rollout measured − the quality model's forecast for it.
type ValueSample struct {
	Context   [NumContext]float64
	Candidate [NumCandidate]float64
	Residual  float64
}

// ValueContext is the context vector of a decision: bias, loss, burstiness, delay spread
// (p95, p99 − p95, jitter), log rate budget, delay gradient and the short window's loss.
func ValueContext(f *Features, c *Conditions, budget float64) [NumContext]float64 {
	mid, short := &f.Windows[1], &f.Windows[0]
	return [NumContext]float64{
		1,
		clamp(c.Loss, 0, 1),
		clamp(c.MeanBurst-1, 0, 5) / 5,
		clamp(c.DelayP95.Seconds(), 0, 1),
		clamp((c.DelayP99 - c.DelayP95).Seconds(), 0, 1),
		clamp(mid.Jitter.Seconds()*10, 0, 1),
		clamp(math.Log2(max(budget, 1)/50000), -3, 3) / 3,
		clamp(mid.Gradient, -0.2, 0.2) * 5,
		clamp(short.Loss, 0, 1),
	}
}

// ValueCandidate is the candidate vector of a setting under a rate budget: bias, log bitrate,
// frame, FEC, RED depth, low-rate copies, jitter target and the share of the budget it uses.
func ValueCandidate(s *Settings, budget float64, overheadBytes int) [NumCandidate]float64 {
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	return [NumCandidate]float64{
		1,
		math.Log2(float64(max(s.BitrateBps, 1)) / 32000),
		s.Frame.Seconds()/0.02 - 1,
		b2f(s.FEC),
		float64(s.REDDepth) / MaxREDDepth,
		b2f(s.REDLowRateBps > 0),
		clamp(s.JitterTarget.Seconds()*5, 0, 2),
		clamp(s.WireBps(overheadBytes)/max(budget, 1), 0, 2),
	}
}

// Correction is the model's correction for a context and a candidate, in R points.
func (m *ValueModel) Correction(ctx *[NumContext]float64, cand *[NumCandidate]float64) float64 {
	if m == nil || m.Samples == 0 {
		return 0
	}
	var sum float64
	for i := range NumContext {
		if ctx[i] == 0 {
			continue
		}
		var row float64
		for j := range NumCandidate {
			row += m.W[i][j] * cand[j]
		}
		sum += ctx[i] * row
	}
	// A correction beyond ±maxCorrection R is outside what training saw: cap it.
	return clamp(sum, -maxCorrection, maxCorrection)
}

// maxCorrection bounds a correction (R points).
const maxCorrection = 30

// valueState is a policy's per-decision use of a ValueModel: the context of the decision being
// made.
type valueState struct {
	m        *ValueModel
	ctx      [NumContext]float64
	budget   float64
	overhead int
}

func newValueState(m *ValueModel) *valueState { return &valueState{m: m} }

func (v *valueState) prepare(f *Features, c *Conditions, budget float64) {
	v.ctx, v.budget = ValueContext(f, c, budget), budget
}

func (v *valueState) correction(s *Settings) float64 {
	cand := ValueCandidate(s, v.budget, v.overhead)
	return v.m.Correction(&v.ctx, &cand)
}

// MarshalBinary encodes the model: magic, version, sample count, sizes, weights (little-endian
// float64).
func (m *ValueModel) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(valueMagic)
	for _, v := range []uint32{valueVersion, uint32(m.Samples), NumContext, NumCandidate} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	for i := range NumContext {
		for j := range NumCandidate {
			_ = binary.Write(&b, binary.LittleEndian, m.W[i][j])
		}
	}
	return b.Bytes(), nil
}

// DecodeValueModel decodes MarshalBinary's encoding, wrapping ErrModel on any mismatch.
func DecodeValueModel(data []byte) (*ValueModel, error) {
	want := len(valueMagic) + 16 + 8*NumValueWeights
	if len(data) != want || string(data[:len(valueMagic)]) != valueMagic {
		return nil, fmt.Errorf("%w: value model: %d bytes or bad magic (want %d)", ErrModel, len(data), want)
	}
	r := bytes.NewReader(data[len(valueMagic):])
	var hdr [4]uint32
	_ = binary.Read(r, binary.LittleEndian, &hdr)
	if hdr[0] != valueVersion || hdr[2] != NumContext || hdr[3] != NumCandidate {
		return nil, fmt.Errorf("%w: value model version %d, sizes %d×%d (want %d, %d×%d)", ErrModel,
			hdr[0], hdr[2], hdr[3], valueVersion, NumContext, NumCandidate)
	}
	m := &ValueModel{Samples: int(hdr[1])}
	for i := range NumContext {
		for j := range NumCandidate {
			_ = binary.Read(r, binary.LittleEndian, &m.W[i][j])
			if math.IsNaN(m.W[i][j]) || math.IsInf(m.W[i][j], 0) {
				return nil, fmt.Errorf("%w: value model: non-finite weight", ErrModel)
			}
		}
	}
	return m, nil
}

//go:embed value.bin
var embeddedValue []byte

// DefaultValueModel is the embedded value model (value.bin, written by `parley bench train
// --value --traces 200 --duration 60s --seed 1 --out adapt/value.bin`); a model with Samples 0
// is untrained and corrects nothing.
func DefaultValueModel() (*ValueModel, error) { return DecodeValueModel(embeddedValue) }
