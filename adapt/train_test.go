package adapt

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// synthSamples makes a learnable toy problem: targets are smooth functions of a few inputs.
func synthSamples(n, traces int, seed uint64) []Sample {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := make([]Sample, n)
	for i := range s {
		for j := range NumInputs {
			s[i].X[j] = rng.NormFloat64()
		}
		x := &s[i].X
		s[i].Y[OutRate] = 5 + math.Tanh(x[0]) + 0.5*x[1]
		s[i].Y[OutLoss] = 0.1 * (1 + math.Tanh(x[2]))
		s[i].Y[OutBurst] = 1.5 + 0.5*math.Tanh(x[3])
		s[i].Y[OutDelay50] = 0.5 + 0.2*x[4]
		s[i].Y[OutDelay95] = 1 + 0.3*x[4] + 0.1*x[5]
		s[i].Y[OutDelay99] = 1.5 + 0.4*x[4]
		s[i].Trace = i * traces / n
	}
	return s
}

func TestGradientCheck(t *testing.T) {
	samples := synthSamples(8, 2, 3)
	train := make([]*Sample, len(samples))
	for i := range samples {
		train[i] = &samples[i]
	}
	m := newModel(5, 4)
	standardise(m, train)
	rng := rand.New(rand.NewPCG(7, 7))
	for _, p := range m.params() {
		for i := range p {
			p[i] = 0.5 * rng.NormFloat64()
		}
	}
	g := newGradBuf(m, len(train))
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7}
	g.load(m, train, idx)
	g.lossAndGrad(m)
	grads := g.grads()
	for s, p := range m.params() {
		for i := range p {
			const h = 1e-6
			old := p[i]
			p[i] = old + h
			lp := g.lossAndGrad(m)
			p[i] = old - h
			lm := g.lossAndGrad(m)
			p[i] = old
			num := (lp - lm) / (2 * h)
			g.lossAndGrad(m)
			if d := math.Abs(num - grads[s][i]); d > 1e-6*(1+math.Abs(num)) {
				t.Fatalf("param set %d index %d: analytic %v, numeric %v", s, i, grads[s][i], num)
			}
		}
	}
}

func TestTrainDeterministicAndLearns(t *testing.T) {
	samples := synthSamples(3000, 30, 1)
	cfg := TrainConfig{Hidden1: 16, Hidden2: 16, Epochs: 15, Seed: 42}
	m1, ev, err := Train(samples, cfg)
	if err != nil {
		t.Fatal(err)
	}
	m2, _, err := Train(samples, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := m1.MarshalBinary()
	b2, _ := m2.MarshalBinary()
	if !bytes.Equal(b1, b2) {
		t.Fatal("same seed, different weights")
	}
	m3, _, _ := Train(samples, TrainConfig{Hidden1: 16, Hidden2: 16, Epochs: 15, Seed: 43})
	b3, _ := m3.MarshalBinary()
	if bytes.Equal(b1, b3) {
		t.Error("different seeds gave identical weights")
	}
	for k := range NumOutputs {
		if ev.ModelMAE[k] > 0.5*ev.MeanMAE[k] {
			t.Errorf("output %d: held-out MAE %.4f, not well under the mean predictor's %.4f", k, ev.ModelMAE[k], ev.MeanMAE[k])
		}
	}
	// Round trip.
	m4, err := DecodeModel(b1)
	if err != nil {
		t.Fatal(err)
	}
	if b4, _ := m4.MarshalBinary(); !bytes.Equal(b1, b4) {
		t.Error("decode(encode(m)) differs")
	}
}

func TestTrainErrors(t *testing.T) {
	if _, _, err := Train(nil, TrainConfig{}); !errors.Is(err, ErrTraining) {
		t.Errorf("no samples: %v", err)
	}
	if _, _, err := Train(synthSamples(100, 5, 1), TrainConfig{Hidden1: MaxHidden + 1}); !errors.Is(err, ErrConfig) {
		t.Errorf("too wide: %v", err)
	}
}

func TestDecodeModelErrors(t *testing.T) {
	m, _, err := Train(synthSamples(500, 10, 2), TrainConfig{Hidden1: 4, Hidden2: 4, Epochs: 1})
	if err != nil {
		t.Fatal(err)
	}
	good, _ := m.MarshalBinary()
	bad := [][]byte{nil, []byte("PRLYMLP"), good[:len(good)-1], append(append([]byte{}, good...), 0)}
	v := append([]byte{}, good...)
	v[len(modelMagic)] = 9
	bad = append(bad, v)
	nan := append([]byte{}, good...)
	copy(nan[len(nan)-8:], []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f})
	bad = append(bad, nan)
	for i, b := range bad {
		if _, err := DecodeModel(b); !errors.Is(err, ErrModel) {
			t.Errorf("case %d: %v", i, err)
		}
	}
}

func FuzzDecodeModel(f *testing.F) {
	m, _, err := Train(synthSamples(200, 10, 2), TrainConfig{Hidden1: 2, Hidden2: 2, Epochs: 1, BatchSize: 16})
	if err != nil {
		f.Fatal(err)
	}
	good, _ := m.MarshalBinary()
	f.Add(good)
	f.Add([]byte("PRLYMLP\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeModel(data)
		if err != nil {
			if !errors.Is(err, ErrModel) {
				t.Fatalf("error %v does not wrap ErrModel", err)
			}
			return
		}
		var fs Features
		p := m.Predict(&fs)
		if math.IsNaN(p.Loss) || math.IsNaN(p.SustainableBps) || p.Loss < 0 || p.Loss > 1 {
			t.Fatalf("bad prediction %+v", p)
		}
	})
}
