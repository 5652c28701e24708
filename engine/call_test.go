package engine

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/internal/natlab"
)

// TestDirectCall runs a real call between two engines across a natlab WAN (no NAT): keys are
// agreed with equal SAS, ICE picks a direct path, and a tone flows both ways.
func TestDirectCall(t *testing.T) {
	base := runtime.NumGoroutine()
	l, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	recA, recB := &audio.Recorder{}, &audio.Recorder{}
	ca.Source, ca.Sink = &audio.Tone{FrequencyHz: 440, Amplitude: 0.3}, recA
	cb.Source, cb.Sink = &audio.Tone{FrequencyHz: 660, Amplitude: 0.3}, recB
	a, b := connect(t, ctx, ca, cb)
	waitState(t, ctx, a, StateRinging)
	waitState(t, ctx, a, StateConnecting)
	evA := waitState(t, ctx, a, StateConnected)
	waitState(t, ctx, b, StateConnected)

	sa, err := a.SAS()
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.SAS()
	if err != nil {
		t.Fatal(err)
	}
	if !sa.Equal(sb) {
		t.Fatalf("SAS differ: %v vs %v", sa, sb)
	}
	if evA.Path.Relayed() {
		t.Errorf("direct call relayed: %v", evA.Path)
	}
	t.Logf("SAS %v, path %v", sa, evA.Path)
	checkSDP(t, a)

	// Wait until each side has played a second of audio from the other.
	deadline := time.Now().Add(10 * time.Second)
	for {
		sa, sb := a.Stats(), b.Stats()
		if sa.Receive.FramesDecoded >= 50 && sb.Receive.FramesDecoded >= 50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("audio did not flow: alice decoded %d frames, bob %d", sa.Receive.FramesDecoded, sb.Receive.FramesDecoded)
		}
		time.Sleep(50 * time.Millisecond)
	}
	st := a.Stats()
	t.Logf("alice: path %v rtt %v sent %d pkts, jitter target %v, remote report %+v, MOS %.2f", st.Path, st.RTT, st.Send.PacketsSent, st.Receive.TargetDelay, st.Remote, st.MOS)
	for name, rec := range map[string]*audio.Recorder{"alice": recA, "bob": recB} {
		x := rec.Audio()
		if r := rms(x[len(x)-audio.SampleRateHz/2:]); r < 0.1 {
			t.Errorf("%s heard rms %.3f in the last 0.5 s, want the tone (≈0.21)", name, r)
		}
	}
	hangup(t, a)
	evB := waitState(t, ctx, b, StateEnded)
	if evB.Reason != ReasonRemoteHangup {
		t.Errorf("bob's call ended with %v, want %v", evB.Reason, ReasonRemoteHangup)
	}
	<-b.Done()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	waitGoroutines(t, base, 10*time.Second)
}

// checkSDP asserts what was negotiated: Opus (FEC, DTX) and RED only, transport-wide congestion
// control, nothing else (no NACK, no other codec).
func checkSDP(t *testing.T, c *Call) {
	t.Helper()
	c.mu.Lock()
	pc := c.pc
	c.mu.Unlock()
	sdp := pc.CurrentRemoteDescription().SDP + pc.CurrentLocalDescription().SDP
	for _, want := range []string{"opus/48000/2", "red/48000/2", "useinbandfec=1;usedtx=1", "a=fmtp:63 111/111"} {
		if !strings.Contains(sdp, want) {
			t.Errorf("SDP lacks %q", want)
		}
	}
	for _, line := range strings.Split(sdp, "\n") {
		if strings.HasPrefix(line, "a=rtpmap:") && !strings.Contains(line, "opus/48000/2") && !strings.Contains(line, "red/48000/2") {
			t.Errorf("unexpected codec: %s", line)
		}
		if strings.Contains(line, "nack") {
			t.Errorf("NACK negotiated: %s", line)
		}
		if strings.Contains(line, "transport-cc") || strings.Contains(line, "transport-wide-cc") {
			t.Errorf("TWCC negotiated (the adaptation's arrival feedback replaces it): %s", line)
		}
	}
}
