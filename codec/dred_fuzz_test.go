package codec

import (
	"errors"
	"testing"
	"time"
)

// FuzzDREDParse feeds arbitrary bytes to DRED.Parse and, when they parse, decodes a frame from
// them: neither may crash, and failures are ErrOpus or ErrNoDRED. Seeds are real packets with
// 100 ms and 1 s of DRED. Against a libopus without DRED it checks nothing (NewDRED refuses).
func FuzzDREDParse(f *testing.F) {
	if Features().DRED {
		for _, d := range []time.Duration{100 * time.Millisecond, time.Second} {
			for _, p := range dredPackets(f, d)[20:24] {
				f.Add(p, uint16(960))
			}
		}
	}
	f.Add([]byte{0xfc, 0xff, 0xfe}, uint16(48000))
	f.Fuzz(func(t *testing.T, pkt []byte, maxSamples uint16) {
		r, err := NewDRED(48000)
		if errors.Is(err, ErrUnavailable) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		reach, err := r.Parse(pkt, int(maxSamples))
		if err != nil {
			if !errors.Is(err, ErrOpus) {
				t.Fatalf("Parse: %v, want ErrOpus", err)
			}
			return
		}
		if reach < 0 || reach > 48000*2 {
			t.Fatalf("reach %d", reach)
		}
		d, _ := NewDecoder(48000)
		_ = d.SetComplexity(DecoderDeepPLC)
		pcm := make([]float32, 960)
		if err := d.DecodeDRED(r, 960, pcm); err != nil && !errors.Is(err, ErrNoDRED) && !errors.Is(err, ErrOpus) {
			t.Fatalf("DecodeDRED: %v", err)
		}
	})
}
