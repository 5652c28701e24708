package codec

import "testing"

// The Encode/Decode benchmarks measure Parley's Go layer; the Raw benchmarks call the same libopus
// functions through a bare cgo call (rawopus.go) on the same audio and settings, so the difference
// is what the layer adds. Both run 20 ms mono frames at 48 kHz and 32 kb/s.

func benchFrames(b *testing.B) [][]float32 {
	speech := loadSpeech(b, 48000)
	var frames [][]float32
	for off := 48000; off+960 <= len(speech) && len(frames) < 200; off += 960 {
		frames = append(frames, speech[off:off+960])
	}
	return frames
}

func benchSettings() Settings {
	s := DefaultSettings()
	s.DTX, s.FEC = false, false
	return s
}

func BenchmarkEncode20ms(b *testing.B) {
	frames := benchFrames(b)
	enc, _ := NewEncoder(48000, benchSettings())
	pkt := make([]byte, MaxPacketBytes)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := enc.Encode(frames[i%len(frames)], pkt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawEncode20ms(b *testing.B) {
	frames := benchFrames(b)
	raw, err := newRawOpus(48000, benchSettings().BitrateBps, benchSettings().Complexity)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.close()
	pkt := make([]byte, MaxPacketBytes)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if raw.encode(frames[i%len(frames)], pkt) < 0 {
			b.Fatal("encode failed")
		}
	}
}

func encodedFrames(b *testing.B) [][]byte {
	frames := benchFrames(b)
	enc, _ := NewEncoder(48000, benchSettings())
	var pkts [][]byte
	buf := make([]byte, MaxPacketBytes)
	for _, f := range frames {
		n, _ := enc.Encode(f, buf)
		pkts = append(pkts, append([]byte(nil), buf[:n]...))
	}
	return pkts
}

func BenchmarkDecode20ms(b *testing.B) {
	pkts := encodedFrames(b)
	dec, _ := NewDecoder(48000)
	pcm := make([]float32, 960)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := dec.Decode(pkts[i%len(pkts)], pcm); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawDecode20ms(b *testing.B) {
	pkts := encodedFrames(b)
	raw, err := newRawOpus(48000, 32000, 9)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.close()
	pcm := make([]float32, 960)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if raw.decode(pkts[i%len(pkts)], pcm) < 0 {
			b.Fatal("decode failed")
		}
	}
}

func BenchmarkUnpackRED(b *testing.B) {
	pkt, _ := PackRED(nil, 111, make([]byte, 80), []REDBlock{
		{PayloadType: 111, TimestampOffset: 1920, Data: make([]byte, 80)},
		{PayloadType: 111, TimestampOffset: 960, Data: make([]byte, 80)},
	})
	blocks := make([]REDBlock, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		blocks, _ = UnpackRED(pkt, blocks)
	}
}
