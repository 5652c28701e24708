package bench

import (
	"testing"
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/codec"
)

// TestPolicyFECSent: the linked libopus sends in-band FEC (LBRR in most packets) exactly where
// the policy's table says it does (adapt.FECSent), at the bitrates, loss hints and frames
// around the table's bounds: encoding the codec2 wideband sentence, a setting counts as sending
// FEC when more than half its packets carry it.
func TestPolicyFECSent(t *testing.T) {
	clips, err := DefaultClips()
	if err != nil {
		t.Fatal(err)
	}
	pcm := clips[0].Samples[:min(len(clips[0].Samples), 4*SampleRateHz)]
	for _, fr := range []time.Duration{20 * time.Millisecond, 40 * time.Millisecond} {
		for _, h := range []float64{0.02, 0.05, 0.06, 0.2, 0.25} {
			for _, b := range []int{16000, 20000, 28000, 30000, 32000} {
				s := adapt.Settings{BitrateBps: b, Frame: fr, FEC: true, LossHint: h}
				n, f := 0, 0
				encodeEach(t, s, pcm, func(_ int, pkt []byte) {
					ok, err := codec.PacketHasFEC(pkt)
					if err != nil {
						t.Fatal(err)
					}
					n++
					if ok {
						f++
					}
				})
				if got, want := 2*f > n, adapt.FECSent(s); got != want {
					t.Errorf("%d b/s, %v frames, loss hint %.0f %%: FEC in %d of %d packets; the policy assumes FEC sent %v",
						b, fr, 100*h, f, n, want)
				}
			}
		}
	}
}
