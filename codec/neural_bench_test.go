package codec

import (
	"testing"
	"time"
)

// Benchmarks of libopus 1.5's neural paths, 20 ms mono frames at 48 kHz (the call rate). They
// skip against a libopus without the feature. Per-call CPU: a call end encodes one stream and
// decodes one, so BenchmarkCallFrame*'s CPU time per op over 20 ms is the share of a core one
// call costs (reported as %core, from the thread's own CPU time so it holds on a loaded
// machine; target with Deep PLC, NoLACE and DRED on: ≤ 3 %, 600 µs per 20 ms).

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

// BenchmarkCallFrame is one call end's work per 20 ms frame: encode at complexity 9 with FEC
// (10 % loss hint), decode the far end's packet, and every tenth frame conceal a loss instead;
// per decoder complexity (classic, Deep PLC, LACE, NoLACE) and with NoLACE plus 1 s of DRED on
// the encoder.
func BenchmarkCallFrame(b *testing.B) {
	for _, c := range []struct {
		name       string
		complexity int
		dred       time.Duration
	}{
		{"classic", DecoderClassic, 0},
		{"dplc", DecoderDeepPLC, 0},
		{"lace", DecoderLACE, 0},
		{"nolace", DecoderNoLACE, 0},
		{"nolace+dred1s", DecoderNoLACE, time.Second},
	} {
		b.Run(c.name, func(b *testing.B) { benchCallFrame(b, c.complexity, c.dred) })
	}
}

func benchCallFrame(b *testing.B, complexity int, dred time.Duration) {
	if dred > 0 && !Features().DRED {
		b.Skipf("linked %s", Features())
	}
	frames := benchFrames(b)
	s := DefaultSettings()
	s.DTX, s.LossHint, s.DRED = false, 0.1, dred
	enc, err := NewEncoder(48000, s)
	if err != nil {
		b.Fatal(err)
	}
	pkts := encodedFrames(b)
	d := neuralDecoder(b, complexity)
	pkt := make([]byte, MaxPacketBytes)
	pcm := make([]float32, 960)
	b.ReportAllocs()
	cpu := startThreadCPU(b)
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
	cpu.report(b, 20*time.Millisecond)
}
