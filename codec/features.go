package codec

import (
	"math"
	"strings"
	"sync"
)

// FeatureSet says which of libopus 1.5's neural loss-handling features the linked libopus has.
// Debian's libopus (1.3.1 on bookworm) has none; `make` links libopus 1.5.2 built by
// scripts/opus.sh with all three.
type FeatureSet struct {
	Version string // libopus's version string, e.g. "libopus 1.5.2"
	DeepPLC bool   // neural packet-loss concealment (decoder complexity ≥ DecoderDeepPLC)
	OSCE    bool   // LACE / NoLACE speech enhancement (decoder complexity ≥ DecoderLACE)
	DRED    bool   // Deep REDundancy: Settings.DRED on the encoder, DRED recovery on the decoder
}

// String is one line for version and banner output, e.g.
// "libopus 1.5.2 (Deep PLC yes, OSCE yes, DRED yes)".
func (f FeatureSet) String() string {
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	return f.Version + " (Deep PLC " + yn(f.DeepPLC) + ", OSCE " + yn(f.OSCE) + ", DRED " + yn(f.DRED) + ")"
}

// Features reports what the linked libopus can do. libopus 1.5 exposes its decoder complexity
// and DRED API whether or not the neural parts were compiled in, so the first call probes each
// feature by what it does: DRED by creating a DRED decoder and asking an encoder for DRED, Deep
// PLC by whether concealment at complexity DecoderDeepPLC differs from classic concealment, OSCE
// by whether decoding at DecoderLACE differs from DecoderDeepPLC (a few milliseconds, once).
// Safe for concurrent use.
func Features() FeatureSet { return featuresOnce() }

var featuresOnce = sync.OnceValue(probeFeatures)

func probeFeatures() FeatureSet {
	f := FeatureSet{Version: libopusVersion()}
	if !strings.HasPrefix(f.Version, "libopus ") {
		f.Version = "libopus " + f.Version
	}
	const rate, frame = 16000, 320
	enc, err := newEncState(rate)
	if err != nil {
		return f
	}
	for _, c := range [][2]int{{reqSetBitrate, 16000}, {reqSetComplexity, 9}} {
		if enc.set(c[0], c[1]) != nil {
			return f
		}
	}
	if _, err := newDREDState(); err == nil {
		f.DRED = enc.set(reqSetDREDDuration, 10) == nil
		_ = enc.set(reqSetDREDDuration, 0)
	}
	// A voiced synthetic vowel: harmonics of a slowly gliding 140 Hz pitch.
	const frames = 16
	pcm := make([]float32, frames*frame)
	phase := 0.0
	for i := range pcm {
		phase += 2 * math.Pi * (140 + 10*math.Sin(float64(i)/float64(rate)*3)) / rate
		var v float64
		for h := 1; h <= 12; h++ {
			v += math.Sin(float64(h)*phase) / float64(h)
		}
		pcm[i] = float32(0.2 * v)
	}
	pkts := make([][]byte, frames)
	for i := range pkts {
		buf := make([]byte, MaxPacketBytes)
		n, err := enc.encode(pcm[i*frame:(i+1)*frame], buf)
		if err != nil {
			return f
		}
		pkts[i] = buf[:n]
	}
	// run decodes the stream at complexity c, concealing the last 3 frames, and returns the
	// decoded normal part and the concealed part.
	run := func(c int) (normal, concealed []float32, ok bool) {
		d, err := newDecState(rate)
		if err != nil || d.set(reqSetComplexity, c) != nil {
			return nil, nil, false
		}
		out := make([]float32, frames*frame)
		for i := range frames {
			var p []byte
			if i < frames-3 {
				p = pkts[i]
			}
			if _, err := d.decode(p, out[i*frame:(i+1)*frame], false); err != nil {
				return nil, nil, false
			}
		}
		return out[:(frames-3)*frame], out[(frames-3)*frame:], true
	}
	n0, c0, ok0 := run(DecoderClassic)
	n5, c5, ok5 := run(DecoderDeepPLC)
	n6, _, ok6 := run(DecoderLACE)
	f.DeepPLC = ok0 && ok5 && rmsDiff(c0, c5) > 1e-4 && rmsDiff(n0, n5) < 1e-6
	f.OSCE = f.DeepPLC && ok6 && rmsDiff(n5, n6) > 1e-5
	return f
}

func rmsDiff(a, b []float32) float64 {
	var s float64
	for i := range min(len(a), len(b)) {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return math.Sqrt(s / float64(max(1, min(len(a), len(b)))))
}

// BestDecoderComplexity is the highest decoder level f supports: DecoderNoLACE with OSCE,
// DecoderDeepPLC with Deep PLC only, else DecoderClassic. It is what a call's receiver uses
// by default (engine.Config.DecoderComplexity).
func (f FeatureSet) BestDecoderComplexity() int {
	switch {
	case f.OSCE:
		return DecoderNoLACE
	case f.DeepPLC:
		return DecoderDeepPLC
	}
	return DecoderClassic
}
