package codec_test

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/parley-voice/parley/bench/pesq"
	"github.com/parley-voice/parley/codec"
)

// These tests judge libopus 1.5's neural loss handling on real speech (Debian's codec2-examples)
// with PESQ-WB, the meter the benches use. They live in the external test package so that codec
// itself imports only std. They need a libopus with the feature (make links one); against the
// system libopus 1.3 they check that the feature is refused instead.

const neuralSpeech = "/usr/share/codec2/raw/speech_orig_16k.wav"

const (
	nqRate  = 16000
	nqFrame = 320 // 20 ms
)

func nqSpeech(t *testing.T) []float32 {
	t.Helper()
	a, err := codec.ReadWAVFile(neuralSpeech)
	if err != nil {
		t.Fatalf("real speech missing (scripts/deps.sh installs codec2-examples): %v", err)
	}
	if a.SampleRateHz != nqRate {
		t.Fatalf("%s: %d Hz, want %d", neuralSpeech, a.SampleRateHz, nqRate)
	}
	return a.Samples[:len(a.Samples)/nqFrame*nqFrame]
}

// nqEncode encodes speech in 20 ms frames with s.
func nqEncode(t *testing.T, speech []float32, s codec.Settings) [][]byte {
	t.Helper()
	enc, err := codec.NewEncoder(nqRate, s)
	if err != nil {
		t.Fatal(err)
	}
	var pkts [][]byte
	for off := 0; off+nqFrame <= len(speech); off += nqFrame {
		buf := make([]byte, codec.MaxPacketBytes)
		n, err := enc.Encode(speech[off:off+nqFrame], buf)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, buf[:n])
	}
	return pkts
}

// nqDecode decodes pkts with lost[i] frames missing at decoder complexity c. With dred, each
// burst is rebuilt from the first packet after it where DRED reaches, the rest concealed.
func nqDecode(t *testing.T, pkts [][]byte, lost []bool, c int, dred bool) (out []float32, recovered int) {
	t.Helper()
	dec, err := codec.NewDecoder(nqRate)
	if err != nil {
		t.Fatal(err)
	}
	if err := dec.SetComplexity(c); err != nil {
		t.Fatal(err)
	}
	var rd *codec.DRED
	if dred {
		if rd, err = codec.NewDRED(nqRate); err != nil {
			t.Fatal(err)
		}
	}
	out = make([]float32, len(pkts)*nqFrame)
	for i := 0; i < len(pkts); i++ {
		pcm := out[i*nqFrame : (i+1)*nqFrame]
		if !lost[i] {
			if _, err := dec.Decode(pkts[i], pcm); err != nil {
				t.Fatal(err)
			}
			continue
		}
		// A burst i..j-1; packet j (if any) arrived.
		j := i
		for j < len(pkts) && lost[j] {
			j++
		}
		if rd != nil && j < len(pkts) {
			if _, err := rd.Parse(pkts[j], (j-i)*nqFrame); err != nil {
				t.Fatal(err)
			}
		}
		for k := i; k < j; k++ {
			pcm := out[k*nqFrame : (k+1)*nqFrame]
			if rd != nil && j < len(pkts) {
				err := dec.DecodeDRED(rd, (j-k)*nqFrame, pcm)
				if err == nil {
					recovered++
					continue
				}
				if !errors.Is(err, codec.ErrNoDRED) {
					t.Fatal(err)
				}
			}
			if err := dec.DecodePLC(pcm); err != nil {
				t.Fatal(err)
			}
		}
		i = j - 1
	}
	return out, recovered
}

func nqPESQ(t *testing.T, ref, deg []float32) float64 {
	t.Helper()
	r, err := pesq.Score(ref, deg, nqRate, pesq.Options{Mode: pesq.Wideband})
	if err != nil {
		t.Fatal(err)
	}
	return r.MOSLQO
}

// gilbertElliott marks n frames lost with a two-state burst model of mean loss rate p and mean
// burst length burst frames, seeded.
func gilbertElliott(n int, p, burst float64, seed uint64) []bool {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	r := 1 / burst       // bad -> good
	q := p * r / (1 - p) // good -> bad
	lost := make([]bool, n)
	bad := false
	for i := range lost {
		if bad {
			bad = rng.Float64() >= r
		} else {
			bad = rng.Float64() < q
		}
		lost[i] = bad
	}
	return lost
}

func requireNeural(t *testing.T, need bool) {
	t.Helper()
	if !need {
		t.Skipf("linked %s; `make test` links libopus 1.5.2 with it (scripts/opus.sh)", codec.Features())
	}
}

func TestDeepPLCBeatsClassicPLC(t *testing.T) {
	requireNeural(t, codec.Features().DeepPLC)
	speech := nqSpeech(t)
	s := codec.DefaultSettings()
	s.FEC, s.DTX, s.LossHint = false, false, 0
	pkts := nqEncode(t, speech, s)
	var classic, deep float64
	seeds := []uint64{1, 2, 3}
	for _, seed := range seeds {
		lost := gilbertElliott(len(pkts), 0.2, 2.5, seed)
		plc, _ := nqDecode(t, pkts, lost, codec.DecoderClassic, false)
		dplc, _ := nqDecode(t, pkts, lost, codec.DecoderDeepPLC, false)
		classic += nqPESQ(t, speech, plc) / float64(len(seeds))
		deep += nqPESQ(t, speech, dplc) / float64(len(seeds))
	}
	t.Logf("20%% bursty loss, 32 kb/s, 16 kHz, 3 seeds: PESQ-WB classic PLC %.3f, Deep PLC %.3f (%+.3f)", classic, deep, deep-classic)
	if deep < classic+0.2 {
		t.Errorf("Deep PLC %.3f is not 0.2 above classic PLC %.3f", deep, classic)
	}
}

func TestDREDRecoversFiveFrameBurst(t *testing.T) {
	requireNeural(t, codec.Features().DRED)
	speech := nqSpeech(t)
	s := codec.DefaultSettings()
	s.FEC, s.DTX, s.LossHint, s.DRED = false, false, 0.2, 200*time.Millisecond
	pkts := nqEncode(t, speech, s)
	// A 5-frame burst (100 ms) every 750 ms, starting in speech.
	lost := make([]bool, len(pkts))
	for start := 30; start+5 < len(pkts); start += 37 {
		for k := range 5 {
			lost[start+k] = true
		}
	}
	plc, _ := nqDecode(t, pkts, lost, codec.DecoderDeepPLC, false)
	dred, rec := nqDecode(t, pkts, lost, codec.DecoderDeepPLC, true)
	nLost := 0
	for _, l := range lost {
		if l {
			nLost++
		}
	}
	pPLC, pDRED := nqPESQ(t, speech, plc), nqPESQ(t, speech, dred)
	t.Logf("5-frame bursts (%d of %d frames lost), DRED 200 ms at 32 kb/s: %d frames rebuilt by DRED; PESQ-WB Deep PLC %.3f, DRED %.3f (%+.3f)",
		nLost, len(pkts), rec, pPLC, pDRED, pDRED-pPLC)
	if rec != nLost {
		t.Errorf("DRED rebuilt %d of %d lost frames", rec, nLost)
	}
	if pDRED < pPLC+0.8 {
		t.Errorf("DRED %.3f is not 0.8 above Deep PLC %.3f", pDRED, pPLC)
	}
}
