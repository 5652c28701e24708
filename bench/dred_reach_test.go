package bench

import (
	"testing"
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/codec"
)

// TestPolicyDREDReach: the DRED the adaptation sends (adapt.DREDSetting) reaches as far back as
// the policy's table says (adapt.DREDReach), within 20 ms, when the linked libopus encodes the
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
	for _, b := range []int{16000, 24000, 32000, 48000} {
		s, ok := adapt.DREDSetting(b)
		want := adapt.DREDReach(b, s.Frame)
		if !ok {
			if want != 0 {
				t.Errorf("%d b/s: no DRED setting but a reach of %v", b, want)
			}
			continue
		}
		cs := codecBase(0)
		cs.BitrateBps, cs.FEC, cs.LossHint, cs.DRED = s.BitrateBps, s.FEC, s.LossHint, s.DRED
		enc, err := codec.NewEncoder(SampleRateHz, cs)
		if err != nil {
			t.Fatal(err)
		}
		dr, err := codec.NewDRED(SampleRateHz)
		if err != nil {
			t.Fatal(err)
		}
		fs := int(s.Frame * SampleRateHz / time.Second)
		buf := make([]byte, codec.MaxPacketBytes)
		var sum, n int
		for i := 0; i+fs <= len(pcm); i += fs {
			k, err := enc.Encode(pcm[i:i+fs], buf)
			if err != nil {
				t.Fatal(err)
			}
			if i < SampleRateHz {
				continue
			}
			r, err := dr.Parse(buf[:k], SampleRateHz)
			if err != nil {
				t.Fatal(err)
			}
			sum += r
			n++
		}
		got := time.Duration(sum) * time.Second / time.Duration(max(n, 1)*SampleRateHz)
		t.Logf("%d b/s: DRED reaches %v back (policy's table %v)", b, got.Round(time.Millisecond), want)
		if d := got - want; d < -20*time.Millisecond || d > 20*time.Millisecond {
			t.Errorf("%d b/s: DRED reaches %v back, the policy assumes %v", b, got.Round(time.Millisecond), want)
		}
	}
}
