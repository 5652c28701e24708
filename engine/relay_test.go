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

// TestSymmetricNATsRelay puts both peers behind symmetric NATs: no direct pair can work, so
// PolicyAuto must end up on the lab's TURN relay, report it, and carry audio.
func TestSymmetricNATsRelay(t *testing.T) {
	base := runtime.NumGoroutine()
	l, ca, cb := lab(t, natlab.Symmetric, natlab.Symmetric)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	ca.Source = &audio.Tone{FrequencyHz: 440, Amplitude: 0.3}
	cb.Source = &audio.Tone{FrequencyHz: 660, Amplitude: 0.3}
	a, b := connect(t, ctx, ca, cb)
	ev := waitState(t, ctx, a, StateConnected)
	waitState(t, ctx, b, StateConnected)
	waitAudio(t, a, b, 25)
	st := a.Stats()
	if !st.Path.Relayed() {
		t.Errorf("path %v, want a relay (event: %v)", st.Path, ev)
	}
	t.Logf("alice path %v; connected event relayed=%v", st.Path, ev.Relayed)
	hangup(t, a)
	<-b.Done()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	waitGoroutines(t, base, 10*time.Second)
}

// TestRelayPolicyHidesAddresses runs a call where both sides use PolicyRelay on a lab where a
// direct path would work: only relay candidates may leave either side, and the call must still
// connect through TURN.
func TestRelayPolicyHidesAddresses(t *testing.T) {
	base := runtime.NumGoroutine()
	l, ca, cb := lab(t, natlab.FullCone, natlab.NoNAT)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	ca.Policy, cb.Policy = PolicyRelay, PolicyRelay
	a, b := connect(t, ctx, ca, cb)
	waitState(t, ctx, a, StateConnected)
	waitState(t, ctx, b, StateConnected)
	for name, c := range map[string]*Call{"alice": a, "bob": b} {
		st := c.Stats()
		// The relay's transport is read from the selected pair, known once ICE nominates it.
		for deadline := time.Now().Add(10 * time.Second); st.Path.RelayProtocol == "" && time.Now().Before(deadline); st = c.Stats() {
			time.Sleep(20 * time.Millisecond)
		}
		if len(st.LocalCandidates) == 0 {
			t.Errorf("%s sent no candidates", name)
		}
		for _, k := range append(st.LocalCandidates, st.RemoteCandidates...) {
			if !strings.HasPrefix(k, "relay ") {
				t.Errorf("%s: candidate %q exchanged under PolicyRelay", name, k)
			}
		}
		if st.Path.Local != "relay" || st.Path.RelayProtocol != "udp" {
			t.Errorf("%s: local candidate %q over %q, want relay over udp", name, st.Path.Local, st.Path.RelayProtocol)
		}
		t.Logf("%s: path %v, sent %v, received %v", name, st.Path, st.LocalCandidates, st.RemoteCandidates)
	}
	hangup(t, b)
	<-a.Done()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	waitGoroutines(t, base, 10*time.Second)
}

// TestUDPBlockedRelayOverTCP: alice's network drops all UDP, so her only way out is TURN over
// TCP; the call must connect through that relay and Stats must say so.
func TestUDPBlockedRelayOverTCP(t *testing.T) {
	base := runtime.NumGoroutine()
	l, ca, cb := lab(t, natlab.UDPBlocked, natlab.NoNAT)
	for _, c := range []*Config{&ca, &cb} {
		c.ICEServers[1].URLs = l.TURNURLs() // UDP and TCP
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	ca.Source = &audio.Tone{FrequencyHz: 440, Amplitude: 0.3}
	a, b := connect(t, ctx, ca, cb)
	waitState(t, ctx, a, StateConnected)
	waitState(t, ctx, b, StateConnected)
	waitAudio(t, b, b, 10)
	st := a.Stats()
	if st.Path.Local != "relay" || st.Path.RelayProtocol != "tcp" {
		t.Errorf("alice's path %v, want a local relay reached over tcp", st.Path)
	}
	t.Logf("alice: %v", st.Path)
	hangup(t, a)
	<-b.Done()
	_ = l.Close()
	waitGoroutines(t, base, 10*time.Second)
}
