package codec

import (
	"errors"
	"testing"
	"time"
)

// roundTrip encodes speech at 48 kHz in 20 ms frames and decodes it.
func roundTrip(t *testing.T, speech []float32, s Settings) (decoded []float32, payloadBytes int) {
	t.Helper()
	enc, err := NewEncoder(48000, s)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder(48000)
	if err != nil {
		t.Fatal(err)
	}
	const frame = 960
	pkt := make([]byte, MaxPacketBytes)
	pcm := make([]float32, 5760)
	for off := 0; off+frame <= len(speech); off += frame {
		n, err := enc.Encode(speech[off:off+frame], pkt)
		if err != nil {
			t.Fatal(err)
		}
		payloadBytes += n
		m, err := dec.Decode(pkt[:n], pcm)
		if err != nil {
			t.Fatal(err)
		}
		decoded = append(decoded, pcm[:m]...)
	}
	return decoded, payloadBytes
}

func TestOpusRoundTripRealSpeech(t *testing.T) {
	speech := loadSpeech(t, 48000)
	dur := float64(len(speech)) / 48000
	var prevSNR float64
	for _, kbps := range []int{12, 24, 32, 64} {
		s := DefaultSettings()
		s.BitrateBps, s.DTX, s.FEC = kbps*1000, false, false
		dec, bytes := roundTrip(t, speech, s)
		corr, lag := bestCorrelation(speech, dec, 1000)
		snr := snrDB(speech, dec[lag:])
		ratio := energy(dec[lag:]) / energy(speech[:len(dec)-lag])
		rate := float64(bytes*8) / dur / 1000
		t.Logf("%2d kb/s: payload %.1f kb/s, correlation %.3f at lag %d, SNR %.1f dB, energy ratio %.2f", kbps, rate, corr, lag, snr, ratio)
		if corr < 0.80 {
			t.Errorf("%d kb/s: correlation %.3f, want >= 0.80", kbps, corr)
		}
		if ratio < 0.6 || ratio > 1.4 {
			t.Errorf("%d kb/s: energy ratio %.2f, want 0.6-1.4", kbps, ratio)
		}
		if rate > float64(kbps)*1.3 || rate < float64(kbps)*0.5 {
			t.Errorf("%d kb/s: payload rate %.1f kb/s is off target", kbps, rate)
		}
		if lag < 100 || lag > 700 {
			t.Errorf("%d kb/s: lag %d samples, want Opus look-ahead (~312)", kbps, lag)
		}
		if snr < prevSNR-1 {
			t.Errorf("%d kb/s: SNR %.1f dB fell below the lower bitrate's %.1f", kbps, snr, prevSNR)
		}
		prevSNR = snr
	}
	if prevSNR < 8 {
		t.Errorf("64 kb/s SNR %.1f dB, want >= 8", prevSNR)
	}
}

func TestOpusOtherRatesAndFrames(t *testing.T) {
	speech := loadSpeech(t, 16000)
	for _, ms := range []int{10, 20, 40, 60} {
		enc, err := NewEncoder(16000, DefaultSettings())
		if err != nil {
			t.Fatal(err)
		}
		dec, _ := NewDecoder(16000)
		n := 16 * ms
		pkt := make([]byte, MaxPacketBytes)
		pcm := make([]float32, 1920)
		var out []float32
		for off := 0; off+n <= len(speech); off += n {
			k, err := enc.Encode(speech[off:off+n], pkt)
			if err != nil {
				t.Fatal(err)
			}
			if k <= DTXMaxBytes {
				if err := dec.DecodePLC(pcm[:n]); err != nil {
					t.Fatal(err)
				}
				out = append(out, pcm[:n]...)
				continue
			}
			m, err := dec.Decode(pkt[:k], pcm)
			if err != nil || m != n {
				t.Fatalf("%d ms: decoded %d samples, %v", ms, m, err)
			}
			out = append(out, pcm[:m]...)
		}
		if corr, _ := bestCorrelation(speech, out, 400); corr < 0.75 {
			t.Errorf("%d ms frames at 16 kHz: correlation %.3f, want >= 0.75", ms, corr)
		}
	}
}

// TestFECBeatsPLC drops every 8th packet of real speech and conceals it twice: from the next
// packet's in-band FEC, and by PLC alone. FEC must reconstruct the lost audio more faithfully.
func TestFECBeatsPLC(t *testing.T) {
	speech := loadSpeech(t, 48000)
	s := DefaultSettings()
	s.BitrateBps, s.LossHint, s.DTX = 32000, 0.2, false
	enc, _ := NewEncoder(48000, s)
	const frame = 960
	var pkts [][]byte
	buf := make([]byte, MaxPacketBytes)
	for off := 0; off+frame <= len(speech); off += frame {
		n, err := enc.Encode(speech[off:off+frame], buf)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, append([]byte(nil), buf[:n]...))
	}
	clean, fec, plc := decodeWith(t, pkts, -1), decodeWith(t, pkts, 1), decodeWith(t, pkts, 0)
	var errFEC, errPLC float64
	for i := 8; i < len(pkts)-1; i += 8 {
		c, f, p := clean[i*frame:(i+1)*frame], fec[i*frame:(i+1)*frame], plc[i*frame:(i+1)*frame]
		for j := range c {
			errFEC += float64(c[j]-f[j]) * float64(c[j]-f[j])
			errPLC += float64(c[j]-p[j]) * float64(c[j]-p[j])
		}
	}
	t.Logf("error energy on lost frames: FEC %.3f, PLC %.3f", errFEC, errPLC)
	if !(errFEC < 0.6*errPLC) {
		t.Fatalf("FEC error %.3f is not clearly below PLC error %.3f", errFEC, errPLC)
	}
}

// decodeWith decodes pkts, losing every 8th: mode -1 loses nothing, 0 conceals by PLC, 1 by FEC.
func decodeWith(t *testing.T, pkts [][]byte, mode int) []float32 {
	t.Helper()
	dec, _ := NewDecoder(48000)
	pcm := make([]float32, 960)
	var out []float32
	for i, p := range pkts {
		lost := mode >= 0 && i%8 == 0 && i > 0 && i < len(pkts)-1
		var err error
		switch {
		case !lost:
			_, err = dec.Decode(p, pcm)
		case mode == 1:
			err = dec.DecodeFEC(pkts[i+1], pcm)
		default:
			err = dec.DecodePLC(pcm)
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pcm...)
	}
	return out
}

func TestEncoderErrors(t *testing.T) {
	if _, err := NewEncoder(44100, DefaultSettings()); !errors.Is(err, ErrSampleRate) {
		t.Errorf("44.1 kHz: got %v", err)
	}
	bad := []Settings{
		{BitrateBps: 1000, Complexity: 5},
		{BitrateBps: 32000, Complexity: 11},
		{BitrateBps: 32000, LossHint: 1.5},
		{BitrateBps: 32000, MaxBandwidth: 7},
	}
	for _, s := range bad {
		if _, err := NewEncoder(48000, s); !errors.Is(err, ErrSetting) {
			t.Errorf("%+v: got %v, want ErrSetting", s, err)
		}
	}
	enc, _ := NewEncoder(48000, DefaultSettings())
	if _, err := enc.Encode(make([]float32, 1000), make([]byte, 100)); !errors.Is(err, ErrFrameSize) {
		t.Errorf("1000-sample frame: got %v, want ErrFrameSize", err)
	}
	dec, _ := NewDecoder(48000)
	if err := dec.DecodePLC(make([]float32, 100)); !errors.Is(err, ErrFrameSize) {
		t.Errorf("PLC of 100 samples: got %v", err)
	}
	if _, err := dec.Decode([]byte{0xff, 0xff, 0xff}, make([]float32, 960)); !errors.Is(err, ErrOpus) {
		t.Errorf("garbage packet: got %v", err)
	}
	if _, err := FrameSamples(48000, 30*time.Millisecond); !errors.Is(err, ErrFrameSize) {
		t.Errorf("30 ms: got %v", err)
	}
}

func TestSettingsChangeBetweenFrames(t *testing.T) {
	speech := loadSpeech(t, 48000)[:48000]
	s := DefaultSettings()
	s.DTX = false
	enc, _ := NewEncoder(48000, s)
	pkt := make([]byte, MaxPacketBytes)
	sizeAt := func(kbps int) float64 {
		s.BitrateBps = kbps * 1000
		if err := enc.Apply(s); err != nil {
			t.Fatal(err)
		}
		total := 0
		for off := 0; off+960 <= len(speech); off += 960 {
			n, _ := enc.Encode(speech[off:off+960], pkt)
			total += n
		}
		return float64(total)
	}
	lo, hi := sizeAt(8), sizeAt(48)
	if hi < 3*lo {
		t.Fatalf("48 kb/s gave %.0f bytes vs %.0f at 8 kb/s: setting change not applied", hi, lo)
	}
	if enc.Settings().BitrateBps != 48000 {
		t.Fatalf("Settings() = %+v", enc.Settings())
	}
}

func TestNoAllocationPerFrame(t *testing.T) {
	speech := loadSpeech(t, 48000)[:960*4]
	enc, _ := NewEncoder(48000, DefaultSettings())
	dec, _ := NewDecoder(48000)
	pkt := make([]byte, MaxPacketBytes)
	pcm := make([]float32, 960)
	var n int
	s := DefaultSettings()
	checks := map[string]func(){
		"Encode": func() { n, _ = enc.Encode(speech[960:1920], pkt) },
		"Apply": func() {
			s.BitrateBps ^= 8000
			_ = enc.Apply(s)
		},
		"Decode":    func() { _, _ = dec.Decode(pkt[:n], pcm) },
		"DecodeFEC": func() { _ = dec.DecodeFEC(pkt[:n], pcm) },
		"DecodePLC": func() { _ = dec.DecodePLC(pcm) },
	}
	checks["Encode"]()
	for name, f := range checks {
		if a := testing.AllocsPerRun(50, f); a != 0 {
			t.Errorf("%s: %.1f allocs per frame, want 0", name, a)
		}
	}
}
