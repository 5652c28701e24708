package pesq

import (
	"encoding/binary"
	"math"
	"testing"
)

// tile repeats the little-endian int16 samples of b to n samples scaled to full scale (zeros
// when b holds no sample).
func tile(b []byte, n int, gain float32) []float32 {
	out := make([]float32, n)
	m := len(b) / 2
	if m == 0 {
		return out
	}
	for i := range out {
		j := i % m
		out[i] = float32(int16(binary.LittleEndian.Uint16(b[2*j:]))) / 32768 * gain
	}
	return out
}

// FuzzScore checks that Score never panics and returns either an error or finite scores in
// range, for arbitrary signals, lengths, rates and options.
func FuzzScore(f *testing.F) {
	speech := func(n int, step int) []byte {
		s := codec2Speech(f)
		b := make([]byte, 0, 2*n)
		for i := 0; i < n; i++ {
			v := int16(max(-32768, min(32767, s[(i*step)%len(s)]*32768)))
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		}
		return b
	}
	sp := speech(6000, 1)
	f.Add(sp, sp, uint16(8000), uint8(1))              // 16 kHz NB identity
	f.Add(sp, sp, uint16(12000), uint8(3))             // 16 kHz WB identity
	f.Add(sp, speech(6000, 2), uint16(9000), uint8(0)) // 8 kHz NB, different signal
	f.Add(sp, []byte{}, uint16(9000), uint8(2))        // silent degraded
	f.Add([]byte{1, 0}, sp, uint16(4000), uint8(1))    // near-silent reference
	f.Add(sp, sp, uint16(1999), uint8(0))              // just too short
	f.Add(sp, sp, uint16(8000), uint8(0x81))           // huge gain
	f.Add(sp, sp, uint16(8000), uint8(0x41))           // NaN injected
	f.Fuzz(func(t *testing.T, refB, degB []byte, n uint16, flags uint8) {
		fs := 8000
		if flags&1 != 0 {
			fs = 16000
		}
		opts := Options{}
		if flags&2 != 0 {
			opts.Mode = Wideband
		}
		if flags&4 != 0 {
			opts.Variant = P862_2005
		}
		refLen := int(n) % (2 * fs)
		degLen := refLen + int(flags>>3&7)*fs/16
		gain := float32(1)
		if flags&0x80 != 0 {
			gain = 1e30
		}
		ref := tile(refB, refLen, gain)
		deg := tile(degB, degLen, 1)
		if flags&0x40 != 0 && len(deg) > 0 {
			deg[len(deg)/2] = float32(math.NaN())
		}
		r, err := Score(ref, deg, fs, opts)
		if err != nil {
			return
		}
		if math.IsNaN(r.Raw) || r.Raw > 4.5+1e-9 || r.Raw < -2 {
			t.Fatalf("raw score %v out of range", r.Raw)
		}
		if math.IsNaN(r.MOSLQO) || r.MOSLQO < 0.999 || r.MOSLQO > 4.999 {
			t.Fatalf("MOS-LQO %v out of range", r.MOSLQO)
		}
	})
}
