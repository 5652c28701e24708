package engine

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/internal/natlab"
	"github.com/parley-voice/parley/internal/netem"
)

// TestLossyLinkRecovers sends speech-like audio with RED depth 1 and FEC to a peer whose
// incoming link loses 10 % of packets in bursts (Gilbert–Elliott, mean burst 2): audio keeps
// flowing, RED is negotiated, and the receiver's recovery and concealment counters move.
// Adaptation is off on the sender: it would be free to trade RED for DRED on this link (the
// adaptation tests cover that), and this test is about the RED path.
func TestLossyLinkRecovers(t *testing.T) {
	base := runtime.NumGoroutine()
	l, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	lossy, err := netem.NewNet(cb.Net, netem.NetConfig{
		Ingress: netem.LinkConfig{Loss: netem.LossConfig{Model: netem.LossGilbertElliott, Rate: 0.10, MeanBurst: 2}},
		Seed:    1,
	})
	if err != nil {
		t.Fatal(err)
	}
	cb.Net = lossy
	ca.Source = &audio.Tone{FrequencyHz: 300, Amplitude: 0.3}
	ca.REDDepth, ca.NoAdapt = 1, true
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	a, b := connect(t, ctx, ca, cb)
	waitState(t, ctx, b, StateConnected)
	deadline := time.Now().Add(20 * time.Second)
	var st Stats
	for time.Now().Before(deadline) {
		st = b.Stats()
		if st.Receive.FramesDecoded >= 100 && st.Receive.PacketsLost > 0 && st.Receive.FramesRecoveredRED > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	r := st.Receive
	t.Logf("bob: decoded %d, lost %d, recovered RED %d FEC %d, concealed %d samples; alice RED=%v: %+v",
		r.FramesDecoded, r.PacketsLost, r.FramesRecoveredRED, r.FramesRecoveredFEC, r.ConcealedSamples, a.Stats().Send.RED, lossy.IngressStats())
	if r.FramesDecoded < 100 || r.PacketsLost == 0 || r.FramesRecoveredRED == 0 {
		t.Errorf("want audio flowing with losses recovered by RED: %+v", r)
	}
	hangup(t, a)
	<-b.Done()
	_ = lossy.Close()
	_ = l.Close()
	waitGoroutines(t, base, 10*time.Second)
}
