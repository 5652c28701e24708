package codec

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// TestFeaturesOfTheLinkedLibopus checks Features against the build: `make` exports
// PARLEY_OPUS_PREFIX and links scripts/opus.sh's libopus 1.5.2, which must have all three
// features (a silent fallback to the system libopus fails here); a plain `go build` against
// Debian's 1.3 must report none.
func TestFeaturesOfTheLinkedLibopus(t *testing.T) {
	f := Features()
	t.Logf("linked: %s", f)
	if !strings.HasPrefix(f.Version, "libopus ") {
		t.Errorf("version %q", f.Version)
	}
	if os.Getenv("PARLEY_OPUS_PREFIX") != "" && !(f.DeepPLC && f.OSCE && f.DRED) {
		t.Errorf("built by make (PARLEY_OPUS_PREFIX=%s) but linked %s: libopus 1.5.2 from scripts/opus.sh was not used",
			os.Getenv("PARLEY_OPUS_PREFIX"), f)
	}
	if strings.HasPrefix(f.Version, "libopus 1.3") && (f.DeepPLC || f.OSCE || f.DRED) {
		t.Errorf("libopus 1.3 cannot have %s", f)
	}
	if f.OSCE && !f.DeepPLC {
		t.Errorf("OSCE without Deep PLC: %s", f)
	}
}

// TestUnavailableFeaturesAreRefused: whatever libopus is linked, asking for a feature it lacks
// fails with ErrUnavailable and asking for one it has succeeds.
func TestUnavailableFeaturesAreRefused(t *testing.T) {
	f := Features()
	d, err := NewDecoder(48000)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		level int
		have  bool
	}{{DecoderClassic, true}, {4, true}, {DecoderDeepPLC, f.DeepPLC}, {DecoderLACE, f.OSCE}, {DecoderNoLACE, f.OSCE}} {
		err := d.SetComplexity(c.level)
		if c.have && err != nil {
			t.Errorf("SetComplexity(%d): %v", c.level, err)
		}
		if !c.have && !errors.Is(err, ErrUnavailable) {
			t.Errorf("SetComplexity(%d) on %s: %v, want ErrUnavailable", c.level, f, err)
		}
	}
	for _, c := range []int{-1, 11} {
		if err := d.SetComplexity(c); !errors.Is(err, ErrSetting) {
			t.Errorf("SetComplexity(%d): %v, want ErrSetting", c, err)
		}
	}
	s := DefaultSettings()
	s.DRED = 100 * time.Millisecond
	_, err = NewEncoder(48000, s)
	_, rerr := NewDRED(48000)
	if f.DRED && (err != nil || rerr != nil) {
		t.Errorf("DRED available but NewEncoder: %v, NewDRED: %v", err, rerr)
	}
	if !f.DRED && (!errors.Is(err, ErrUnavailable) || !errors.Is(rerr, ErrUnavailable)) {
		t.Errorf("DRED unavailable but NewEncoder: %v, NewDRED: %v", err, rerr)
	}
	for _, bad := range []time.Duration{-time.Millisecond, MaxDRED + time.Millisecond} {
		s.DRED = bad
		if err := s.Validate(); !errors.Is(err, ErrSetting) {
			t.Errorf("DRED %v: %v, want ErrSetting", bad, err)
		}
	}
}

// dredPackets encodes 2 s of speech at 48 kHz with DRED of d and returns the packets.
func dredPackets(t testing.TB, d time.Duration) [][]byte {
	t.Helper()
	speech := loadSpeech(t, 48000)
	s := DefaultSettings()
	s.DTX, s.FEC, s.LossHint, s.DRED = false, false, 0.2, d
	enc, err := NewEncoder(48000, s)
	if err != nil {
		t.Fatal(err)
	}
	var pkts [][]byte
	for off := 48000; off+960 <= len(speech) && len(pkts) < 100; off += 960 {
		buf := make([]byte, MaxPacketBytes)
		n, err := enc.Encode(speech[off:off+960], buf)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, buf[:n])
	}
	return pkts
}

func TestDREDDecodeContract(t *testing.T) {
	if !Features().DRED {
		t.Skipf("linked %s", Features())
	}
	pkts := dredPackets(t, 500*time.Millisecond)
	r, err := NewDRED(48000)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := NewDecoder(48000)
	if err := d.SetComplexity(DecoderDeepPLC); err != nil {
		t.Fatal(err)
	}
	pcm := make([]float32, 960)
	for i := range 50 {
		if _, err := d.Decode(pkts[i], pcm); err != nil {
			t.Fatal(err)
		}
	}
	reach, err := r.Parse(pkts[55], 5*960)
	if err != nil || reach < 5*960 || r.Reach() != reach {
		t.Fatalf("Parse: reach %d (Reach %d), %v; want ≥ %d", reach, r.Reach(), err, 5*960)
	}
	for k := 50; k < 55; k++ {
		if err := d.DecodeDRED(r, (55-k)*960, pcm); err != nil {
			t.Fatalf("frame %d: %v", k, err)
		}
		if energy(pcm) == 0 {
			t.Errorf("frame %d: DRED produced silence", k)
		}
	}
	if err := d.DecodeDRED(r, reach+960, pcm); !errors.Is(err, ErrNoDRED) {
		t.Errorf("offset beyond reach: %v, want ErrNoDRED", err)
	}
	if err := d.DecodeDRED(r, 0, pcm); !errors.Is(err, ErrNoDRED) {
		t.Errorf("offset 0: %v, want ErrNoDRED", err)
	}
	if err := d.DecodeDRED(r, 960, pcm[:7]); !errors.Is(err, ErrFrameSize) {
		t.Errorf("7 samples: %v, want ErrFrameSize", err)
	}
	other, _ := NewDRED(16000)
	if err := d.DecodeDRED(other, 960, pcm); !errors.Is(err, ErrSetting) {
		t.Errorf("16 kHz DRED on a 48 kHz decoder: %v, want ErrSetting", err)
	}
	// A packet from an encoder without DRED carries none: reach 0, no error.
	plain := dredPackets(t, 0)
	if n, err := r.Parse(plain[10], 960); n != 0 || err != nil {
		t.Errorf("Parse of a packet without DRED: %d, %v", n, err)
	}
	if _, err := r.Parse(nil, 960); !errors.Is(err, ErrOpus) {
		t.Errorf("Parse(nil): %v, want ErrOpus", err)
	}
}

func TestNeuralPathsAllocateNothing(t *testing.T) {
	if !Features().DRED || !Features().OSCE {
		t.Skipf("linked %s", Features())
	}
	pkts := dredPackets(t, time.Second)
	r, _ := NewDRED(48000)
	d, _ := NewDecoder(48000)
	if err := d.SetComplexity(DecoderNoLACE); err != nil {
		t.Fatal(err)
	}
	pcm := make([]float32, 5760)
	i := 0
	if a := testing.AllocsPerRun(50, func() {
		if _, err := d.Decode(pkts[i%len(pkts)], pcm); err != nil {
			t.Fatal(err)
		}
		i++
		if err := d.DecodePLC(pcm[:960]); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Parse(pkts[(i+3)%len(pkts)], 2*960); err != nil {
			t.Fatal(err)
		}
		if err := d.DecodeDRED(r, 960, pcm[:960]); err != nil && !errors.Is(err, ErrNoDRED) {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("NoLACE decode + Deep PLC + DRED parse/decode: %v allocs per frame, want 0", a)
	}
}
