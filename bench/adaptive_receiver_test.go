package bench

import (
	"testing"
	"time"

	"github.com/parley-voice/parley/bench/pesq"
	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/engine/jitter"
	"github.com/parley-voice/parley/internal/netem"
)

var _ Receiver = (*AdaptiveReceiver)(nil)

// playoutDelay is the mean mouth-to-ear delay of a run, the same way for any receiver: Origin
// plus PESQ's per-utterance delay of the received audio (which Run aligned by Origin), weighted
// by utterance length. It also returns PESQ-WB.
func playoutDelay(t *testing.T, res Result) (time.Duration, float64) {
	t.Helper()
	ref, err := codec.Resample(res.Sent, SampleRateHz, PESQRateHz)
	if err != nil {
		t.Fatal(err)
	}
	deg, err := codec.Resample(res.Received, SampleRateHz, PESQRateHz)
	if err != nil {
		t.Fatal(err)
	}
	q, err := pesq.Score(ref, deg, PESQRateHz, pesq.Options{Mode: pesq.Wideband})
	if err != nil {
		t.Fatal(err)
	}
	var sum, n float64
	for _, u := range q.Utterances {
		w := float64(u.EndSample - u.StartSample)
		sum += w * float64(u.DelaySamples)
		n += w
	}
	d := res.Delay
	if n > 0 {
		d += time.Duration(sum / n / PESQRateHz * float64(time.Second))
	}
	return d, q.MOSLQO
}

func TestAdaptiveVersusFixedReceiver(t *testing.T) {
	speech := loadSpeech48(t)[:8*SampleRateHz]
	cfg := SendConfig{Settings: codec.DefaultSettings()}
	for _, profile := range []string{"clean", "wifi", "lte"} {
		link, err := netem.Profile(profile)
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			delay time.Duration
			wb    float64
			st    ReceiveStats
		}
		var rows [3]row
		for i, rx := range []Receiver{&FixedReceiver{FEC: true}, &AdaptiveReceiver{Config: adaptiveFEC()}, &FixedReceiver{FEC: true, Delay: 40 * time.Millisecond}} {
			l, err := netem.NewLink(link, 3)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(speech, cfg, l, rx)
			if err != nil {
				t.Fatal(err)
			}
			d, wb := playoutDelay(t, res)
			rows[i] = row{d, wb, res.Receive}
		}
		for i, name := range []string{"fixed 80 ms", "adaptive", "fixed 40 ms"} {
			t.Logf("%-6s %-11s: mouth-to-ear %6.1f ms, PESQ-WB %.2f, residual loss %.3f, late %d",
				profile, name, ms(rows[i].delay), rows[i].wb, rows[i].st.ResidualLoss(), rows[i].st.Late)
		}
		// Measured (seed 3): adaptive 36/46/76 ms against 96/106/136 ms, PESQ-WB 4.50/4.42/4.50
		// against 4.50: about 60 ms less delay for a little concealment on wifi.
		if rows[1].delay > rows[0].delay-30*time.Millisecond {
			t.Errorf("%s: adaptive buffer delay %v, fixed 80 ms buffer %v", profile, rows[1].delay, rows[0].delay)
		}
		if want := map[string]float64{"clean": 4.4}[profile]; rows[1].wb < max(want, 3.8) {
			t.Errorf("%s: adaptive PESQ-WB %.2f, want >= %.1f", profile, rows[1].wb, max(want, 3.8))
		}
	}
}

func adaptiveFEC() jitter.Config { return jitter.Config{FEC: true} }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func TestAdaptiveReceiverFrameSizes(t *testing.T) {
	speech := loadSpeech48(t)[:4*SampleRateHz]
	link, err := netem.Profile("wifi")
	if err != nil {
		t.Fatal(err)
	}
	for _, frame := range []time.Duration{10 * time.Millisecond, 40 * time.Millisecond, 60 * time.Millisecond} {
		var wb [2]float64
		var st [2]ReceiveStats
		for i, rx := range []Receiver{&FixedReceiver{FEC: true}, &AdaptiveReceiver{Config: jitter.Config{FEC: true}}} {
			l, err := netem.NewLink(link, 5)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(speech, SendConfig{Settings: codec.DefaultSettings(), Frame: frame, REDDepth: 1}, l, rx)
			if err != nil {
				t.Fatal(err)
			}
			q, err := Score(res.Sent, res.Received)
			if err != nil {
				t.Fatal(err)
			}
			wb[i], st[i] = q.WB, res.Receive
		}
		t.Logf("%v frames: fixed PESQ-WB %.2f %+v | adaptive PESQ-WB %.2f %+v", frame, wb[0], st[0], wb[1], st[1])
		// With seed 5 the link loses two packets in a row; at 40 and 60 ms frames RED depth 1
		// recovers one and a frame is concealed (by both receivers). The adaptive receiver, whose
		// target is smaller, conceals at most one frame more. What one 40-60 ms concealment costs
		// in PESQ-WB on a 4 s clip depends on the libopus build's concealment: the ITU reference
		// program scores the 60 ms pair 3.733 (fixed) and 3.190 (adaptive) with libopus 1.3, and
		// with libopus 1.5's classic PLC the 40 ms pair scores 4.09 and 3.24. So the test bounds
		// the concealment itself and keeps a PESQ floor rather than a PESQ gap.
		if st[1].Concealed > st[0].Concealed+1 || st[1].ResidualLoss() > 0.04 || wb[1] < 3.0 {
			t.Errorf("%v frames: adaptive PESQ-WB %.2f (fixed %.2f), concealed %d (fixed %d), residual loss %.3f",
				frame, wb[1], wb[0], st[1].Concealed, st[0].Concealed, st[1].ResidualLoss())
		}
	}
}
