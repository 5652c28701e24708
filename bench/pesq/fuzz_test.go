package pesq

import (
	"encoding/binary"
	"math"
	"testing"
)

// fuzzSignals builds a reference and a degraded signal from the fuzz parameters: a stretch of
// real speech (or, with flags&0x20, the raw bytes tiled as samples), degraded by a delay, noise,
// zeroed frames and raw bytes overlaid as samples.
func fuzzSignals(speech []float32, raw []byte, start uint32, n uint16, delay int16, flags, noise, drop uint8) (ref, deg []float32, fs int) {
	fs = 8000
	step := 2
	if flags&1 != 0 {
		fs, step = 16000, 1
	}
	length := int(n) % (fs + fs/4)
	ref = make([]float32, length)
	if flags&0x20 != 0 {
		if m := len(raw) / 2; m > 0 {
			for i := range ref {
				j := i % m
				ref[i] = float32(int16(binary.LittleEndian.Uint16(raw[2*j:]))) / 32768
			}
		}
	} else {
		off := int(start % uint32(len(speech)))
		for i := range ref {
			ref[i] = speech[(off+i*step)%len(speech)]
		}
	}
	d := int(delay) % (fs / 2)
	deg = make([]float32, 0, length+max(d, 0))
	if d > 0 {
		deg = append(deg, make([]float32, d)...)
		deg = append(deg, ref...)
	} else {
		deg = append(deg, ref[min(-d, len(ref)):]...)
	}
	deg = addNoise(deg, float64(noise)/255*0.1, uint64(start))
	if drop > 0 {
		deg = zeroFrames(deg, fs/50, int(drop))
	}
	for i := 0; i+1 < len(raw) && i/2 < len(deg) && flags&0x20 == 0; i += 2 {
		deg[(i/2+int(start))%len(deg)] = float32(int16(binary.LittleEndian.Uint16(raw[i:]))) / 32768
	}
	if flags&0x40 != 0 && len(deg) > 0 {
		deg[len(deg)/2] = float32(math.NaN())
	}
	if flags&0x80 != 0 {
		for i := range ref {
			ref[i] *= 1e30
		}
	}
	return ref, deg, fs
}

// FuzzScore checks that Score never panics and returns either an error or finite scores in
// range. Inputs are real speech shaped by a few parameters plus arbitrary bytes, so that the
// fuzzer reaches the alignment and splitting stages, not only the input checks.
func FuzzScore(f *testing.F) {
	speech := codec2Speech(f)
	f.Add([]byte{}, uint32(0), uint16(16000), int16(0), uint8(1), uint8(0), uint8(0))                   // 16 kHz NB identity
	f.Add([]byte{}, uint32(5000), uint16(19000), int16(800), uint8(3), uint8(20), uint8(0))             // WB, delayed, noisy
	f.Add([]byte{}, uint32(90000), uint16(9000), int16(-200), uint8(0), uint8(0), uint8(4))             // 8 kHz, dropped frames
	f.Add([]byte{0, 0x40, 0, 0xc0}, uint32(0), uint16(9000), int16(0), uint8(0x20), uint8(0), uint8(0)) // tone ref
	f.Add([]byte{}, uint32(0), uint16(1999), int16(0), uint8(0), uint8(0), uint8(0))                    // too short
	f.Add([]byte{}, uint32(0), uint16(8000), int16(0), uint8(0x81), uint8(0), uint8(0))                 // huge level
	f.Add([]byte{}, uint32(0), uint16(8000), int16(0), uint8(0x41), uint8(0), uint8(0))                 // NaN
	f.Add([]byte{1, 0}, uint32(0), uint16(8000), int16(0), uint8(0x20), uint8(0), uint8(0))             // near-silent ref
	f.Fuzz(func(t *testing.T, raw []byte, start uint32, n uint16, delay int16, flags, noise, drop uint8) {
		ref, deg, fs := fuzzSignals(speech, raw, start, n, delay, flags, noise, drop)
		opts := Options{}
		if flags&2 != 0 {
			opts.Mode = Wideband
		}
		if flags&4 != 0 {
			opts.Variant = P862_2005
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
