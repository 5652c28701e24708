package codec

import (
	"testing"
	"time"
)

// Benchmarks of libopus 1.5's neural paths, 20 ms mono frames at 48 kHz (the call rate). They
// skip against a libopus without the feature. Per-call CPU: a call end encodes one stream and
// decodes one, so BenchmarkCallFrameNeural's ns/op divided by 20 ms is the fraction of a core one
// call costs with Deep PLC, NoLACE and DRED on (target ≤ 3 %: ≤ 600 µs/op).

func neuralDecoder(b *testing.B, c int) *Decoder {
	if c >= DecoderLACE && !Features().OSCE || c >= DecoderDeepPLC && !Features().DeepPLC {
		b.Skipf("linked %s", Features())
	}
	d, err := NewDecoder(48000)
	if err != nil {
		b.Fatal(err)
	}
	if err := d.SetComplexity(c); err != nil {
		b.Fatal(err)
	}
	return d
}

func benchDecodeAt(b *testing.B, c int) {
	pkts := encodedFrames(b)
	d := neuralDecoder(b, c)
	pcm := make([]float32, 960)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := d.Decode(pkts[i%len(pkts)], pcm); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeLACE20ms(b *testing.B)   { benchDecodeAt(b, DecoderLACE) }
func BenchmarkDecodeNoLACE20ms(b *testing.B) { benchDecodeAt(b, DecoderNoLACE) }

func benchPLCAt(b *testing.B, c int) {
	pkts := encodedFrames(b)
	d := neuralDecoder(b, c)
	pcm := make([]float32, 960)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		// One loss in four: conceal after real decodes, as in a lossy call.
		if i%4 == 3 {
			if err := d.DecodePLC(pcm); err != nil {
				b.Fatal(err)
			}
			continue
		}
		if _, err := d.Decode(pkts[i%len(pkts)], pcm); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPLCClassic20ms and BenchmarkPLCDeep20ms: 3 decodes and 1 concealment per 4 ops.
func BenchmarkPLCClassic20ms(b *testing.B) { benchPLCAt(b, DecoderClassic) }
func BenchmarkPLCDeep20ms(b *testing.B)    { benchPLCAt(b, DecoderDeepPLC) }

func BenchmarkEncodeDRED1s20ms(b *testing.B) {
	if !Features().DRED {
		b.Skipf("linked %s", Features())
	}
	frames := benchFrames(b)
	s := benchSettings()
	s.LossHint, s.DRED = 0.2, time.Second
	enc, err := NewEncoder(48000, s)
	if err != nil {
		b.Fatal(err)
	}
	pkt := make([]byte, MaxPacketBytes)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := enc.Encode(frames[i%len(frames)], pkt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDREDRecover5Frames parses one packet's DRED and rebuilds the 5 frames before it.
func BenchmarkDREDRecover5Frames(b *testing.B) {
	if !Features().DRED {
		b.Skipf("linked %s", Features())
	}
	pkts := dredPackets(b, time.Second)
	d := neuralDecoder(b, DecoderDeepPLC)
	r, _ := NewDRED(48000)
	pcm := make([]float32, 960)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := r.Parse(pkts[20+i%60], 5*960); err != nil {
			b.Fatal(err)
		}
		for k := 5; k >= 1; k-- {
			if err := d.DecodeDRED(r, k*960, pcm); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCallFrameNeural is one call end's work per 20 ms frame with everything on: encode at
// complexity 9 with FEC and 1 s of DRED, decode the far end's packet with NoLACE, and every
// tenth frame conceal a loss with Deep PLC instead.
func BenchmarkCallFrameNeural(b *testing.B) {
	if !Features().DRED || !Features().OSCE {
		b.Skipf("linked %s", Features())
	}
	frames := benchFrames(b)
	s := DefaultSettings()
	s.DTX, s.LossHint, s.DRED = false, 0.1, time.Second
	enc, err := NewEncoder(48000, s)
	if err != nil {
		b.Fatal(err)
	}
	pkts := encodedFrames(b)
	d := neuralDecoder(b, DecoderNoLACE)
	pkt := make([]byte, MaxPacketBytes)
	pcm := make([]float32, 960)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := enc.Encode(frames[i%len(frames)], pkt); err != nil {
			b.Fatal(err)
		}
		if i%10 == 9 {
			if err := d.DecodePLC(pcm); err != nil {
				b.Fatal(err)
			}
			continue
		}
		if _, err := d.Decode(pkts[i%len(pkts)], pcm); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallFrameClassic is BenchmarkCallFrameNeural's work without the neural parts (no
// DRED, classic decoder), for comparison.
func BenchmarkCallFrameClassic(b *testing.B) {
	frames := benchFrames(b)
	s := DefaultSettings()
	s.DTX, s.LossHint = false, 0.1
	enc, err := NewEncoder(48000, s)
	if err != nil {
		b.Fatal(err)
	}
	pkts := encodedFrames(b)
	d, _ := NewDecoder(48000)
	pkt := make([]byte, MaxPacketBytes)
	pcm := make([]float32, 960)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := enc.Encode(frames[i%len(frames)], pkt); err != nil {
			b.Fatal(err)
		}
		if i%10 == 9 {
			if err := d.DecodePLC(pcm); err != nil {
				b.Fatal(err)
			}
			continue
		}
		if _, err := d.Decode(pkts[i%len(pkts)], pcm); err != nil {
			b.Fatal(err)
		}
	}
}
