package bench

import (
	"testing"
	"time"

	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/internal/netem"
)

const speechPath = "/usr/share/codec2/raw/speech_orig_16k.wav"

func loadSpeech48(t testing.TB) []float32 {
	t.Helper()
	a, err := codec.ReadWAVFile(speechPath)
	if err != nil {
		t.Fatalf("real speech missing (scripts/deps.sh installs codec2-examples): %v", err)
	}
	s, err := codec.Resample(a.Samples, a.SampleRateHz, SampleRateHz)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func runOnce(t *testing.T, speech []float32, cfg SendConfig, link netem.LinkConfig, seed uint64) (Result, Quality) {
	t.Helper()
	l, err := netem.NewLink(link, seed)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(speech, cfg, l, &FixedReceiver{Delay: 100 * time.Millisecond, FEC: cfg.Settings.FEC})
	if err != nil {
		t.Fatal(err)
	}
	q, err := Score(res.Sent, res.Received)
	if err != nil {
		t.Fatal(err)
	}
	return res, q
}

func TestPipelineCleanLinkIsTransparent(t *testing.T) {
	speech := loadSpeech48(t)[:6*SampleRateHz]
	cfg := SendConfig{Settings: codec.DefaultSettings()}
	res, q := runOnce(t, speech, cfg, netem.LinkConfig{Delay: netem.DelayConfig{Base: 30 * time.Millisecond}}, 1)
	t.Logf("clean: %+v, %.1f kb/s, PESQ-WB %.2f NB %.2f, delay %v", res.Receive, res.PayloadKbps(), q.WB, q.NB, res.Delay)
	if res.Receive.Concealed != 0 || res.Receive.Late != 0 || res.NetworkLoss != 0 {
		t.Fatalf("clean link concealed %d, late %d, loss %.3f", res.Receive.Concealed, res.Receive.Late, res.NetworkLoss)
	}
	// Playout starts one jitter-buffer delay after the first arrival, on the playout grid.
	if res.Delay < 130*time.Millisecond || res.Delay > 140*time.Millisecond {
		t.Fatalf("playout delay %v, want 130-140 ms (30 ms link + 100 ms buffer, grid)", res.Delay)
	}
	if q.WB < 4.0 {
		t.Fatalf("32 kb/s Opus over a clean link: PESQ-WB %.2f, want >= 4.0", q.WB)
	}
}

func TestPipelineLossRecovery(t *testing.T) {
	speech := loadSpeech48(t)[:8*SampleRateHz]
	lossy := netem.LinkConfig{
		Delay: netem.DelayConfig{Base: 30 * time.Millisecond},
		Loss:  netem.LossConfig{Model: netem.LossBernoulli, Rate: 0.15},
	}
	plain := codec.DefaultSettings()
	plain.FEC, plain.DTX = false, false
	fec := plain
	fec.FEC, fec.LossHint = true, 0.15
	var wb [3]float64
	for i, cfg := range []SendConfig{{Settings: plain}, {Settings: fec}, {Settings: plain, REDDepth: 2}} {
		for seed := uint64(1); seed <= 3; seed++ {
			res, q := runOnce(t, speech, cfg, lossy, seed)
			wb[i] += q.WB / 3
			if seed == 1 {
				t.Logf("config %d: net loss %.3f residual %.3f %+v PESQ-WB %.2f", i, res.NetworkLoss, res.Receive.ResidualLoss(), res.Receive, q.WB)
			}
			switch i {
			case 0:
				if res.Receive.RecoveredFEC != 0 || res.Receive.Concealed == 0 {
					t.Errorf("PLC-only config: %+v", res.Receive)
				}
			case 1:
				if res.Receive.RecoveredFEC == 0 {
					t.Errorf("FEC config recovered nothing by FEC")
				}
			case 2:
				if res.Receive.RecoveredRED == 0 || res.Receive.ResidualLoss() > 0.03 {
					t.Errorf("RED depth 2 at 15%% random loss: residual %.3f, RED recoveries %d", res.Receive.ResidualLoss(), res.Receive.RecoveredRED)
				}
			}
		}
	}
	t.Logf("mean PESQ-WB: PLC %.2f, FEC %.2f, RED2 %.2f", wb[0], wb[1], wb[2])
	if !(wb[1] > wb[0]+0.1 && wb[2] > wb[1]) {
		t.Fatalf("at 15%% loss expected PLC < FEC < RED2, got %.2f %.2f %.2f", wb[0], wb[1], wb[2])
	}
}

// TestDTXSilenceIsNotLoss puts a second of silence inside speech: the sender stops sending
// (DTX), and the receiver must account those frames as silence, not concealment, both on a clean
// link and when the talkspurt's first packet is lost.
func TestDTXSilenceIsNotLoss(t *testing.T) {
	speech := loadSpeech48(t)[:3*SampleRateHz]
	withGap := append(append(append([]float32{}, speech...), make([]float32, SampleRateHz)...), speech...)
	cfg := SendConfig{Settings: codec.DefaultSettings()} // DTX on
	res, _ := runOnce(t, withGap, cfg, netem.LinkConfig{Delay: netem.DelayConfig{Base: 20 * time.Millisecond}}, 1)
	st := res.Receive
	t.Logf("clean: %+v, sent %d packets", st, res.PacketsSent)
	if st.Silent < 30 || st.Concealed != 0 || st.Decoded != res.PacketsSent {
		t.Fatalf("clean link with a 1 s pause: %+v (sent %d)", st, res.PacketsSent)
	}
	lossy := netem.LinkConfig{Delay: netem.DelayConfig{Base: 20 * time.Millisecond},
		Loss: netem.LossConfig{Model: netem.LossBernoulli, Rate: 0.1}}
	for seed := uint64(1); seed <= 3; seed++ {
		l, _ := netem.NewLink(lossy, seed)
		res, err := Run(withGap, cfg, l, &FixedReceiver{FEC: true})
		if err != nil {
			t.Fatal(err)
		}
		st := res.Receive
		lost := res.PacketsSent - st.Decoded
		if st.Concealed+st.RecoveredFEC+st.RecoveredRED != lost {
			t.Errorf("seed %d: %d packets lost but %d concealed + %d FEC: DTX frames miscounted (%+v)", seed, lost, st.Concealed, st.RecoveredFEC, st)
		}
	}
}
