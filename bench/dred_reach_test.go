package bench

import (
	"testing"
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/codec"
)

// TestPolicyDREDReach: the DRED the adaptation sends (adapt.DREDSetting, with FEC off or on)
// reaches as far back as the policy's tables say (adapt.DREDReach, adapt.DREDFECReach), within
// 20 ms, when the linked libopus encodes the
// codec2 wideband sentence with it: the mean over every packet after the first second of what
// codec.DRED.Parse reports.
func TestPolicyDREDReach(t *testing.T) {
	if !codec.Features().DRED {
		t.Skipf("libopus without DRED (%s): build with make", codec.Features())
	}
	clips, err := DefaultClips()
	if err != nil {
		t.Fatal(err)
	}
	pcm := clips[0].Samples
	type point struct {
		bitrate int
		fec     bool
	}
	for _, pt := range []point{{16000, false}, {24000, false}, {32000, false}, {48000, false}, {40000, true}, {48000, true}} {
		b := pt.bitrate
		s, ok := adapt.DREDSetting(b)
		want := adapt.DREDReach(b, s.Frame)
		if pt.fec {
			// DRED with FEC (the policy sends it where it keeps its reach): below that the
			// policy's table says 0, and the encoder must carry at most 100 ms.
			s.FEC = true
			want = adapt.DREDFECReach(b, s.Frame)
		}
		if !ok {
			if want != 0 {
				t.Errorf("%d b/s: no DRED setting but a reach of %v", b, want)
			}
			continue
		}
		dr, err := codec.NewDRED(SampleRateHz)
		if err != nil {
			t.Fatal(err)
		}
		var sum, n int
		encodeEach(t, s, pcm, func(at int, pkt []byte) {
			if at < SampleRateHz {
				return
			}
			r, err := dr.Parse(pkt, SampleRateHz)
			if err != nil {
				t.Fatal(err)
			}
			sum += r
			n++
		})
		got := time.Duration(sum) * time.Second / time.Duration(max(n, 1)*SampleRateHz)
		t.Logf("%d b/s, FEC %v: DRED reaches %v back (policy's table %v)", b, pt.fec, got.Round(time.Millisecond), want)
		if pt.fec && want == 0 {
			if got > 100*time.Millisecond {
				t.Errorf("%d b/s with FEC: DRED reaches %v back, yet the policy does not send it", b, got.Round(time.Millisecond))
			}
			continue
		}
		if d := got - want; d < -20*time.Millisecond || d > 20*time.Millisecond {
			t.Errorf("%d b/s, FEC %v: DRED reaches %v back, the policy assumes %v", b, pt.fec, got.Round(time.Millisecond), want)
		}
	}
}

// encodeEach encodes pcm (at SampleRateHz) with the encoder settings of s (bitrate, frame, FEC,
// loss hint and DRED on the bench's codec base) and calls fn with each packet and the sample it
// starts at.
func encodeEach(t *testing.T, s adapt.Settings, pcm []float32, fn func(at int, pkt []byte)) {
	t.Helper()
	cs := codecBase(0)
	cs.BitrateBps, cs.FEC, cs.LossHint, cs.DRED = s.BitrateBps, s.FEC, s.LossHint, s.DRED
	enc, err := codec.NewEncoder(SampleRateHz, cs)
	if err != nil {
		t.Fatal(err)
	}
	fs := int(s.Frame * SampleRateHz / time.Second)
	buf := make([]byte, codec.MaxPacketBytes)
	for i := 0; i+fs <= len(pcm); i += fs {
		k, err := enc.Encode(pcm[i:i+fs], buf)
		if err != nil {
			t.Fatal(err)
		}
		fn(i, buf[:k])
	}
}
