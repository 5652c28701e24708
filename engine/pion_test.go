package engine

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/engine/media"
	"github.com/parley-voice/parley/internal/natlab"
)

// TestStatsWhilePayloadTypeChanges switches alice's RED on and off every 20 ms (each switch
// changes the RTP payload type bob's track reads, and pion rewrites the track's codec then)
// while both sides' Stats are read as fast as they come: under -race this catches any read of
// pion's statistics unsynchronised with the receiver (PeerConnection.GetStats was one). The RTT
// must still be reported.
func TestStatsWhilePayloadTypeChanges(t *testing.T) {
	l, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	defer l.Close()
	ca.Source = &audio.Tone{FrequencyHz: 440, Amplitude: 0.3}
	ca.REDDepth, ca.NoAdapt, cb.NoAdapt = 1, true, true
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, b := connect(t, ctx, ca, cb)
	waitState(t, ctx, b, StateConnected)
	waitAudio(t, b, b, 10)
	frames := b.Stats().Receive.FramesDecoded
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 150 {
			_ = a.Tune(media.Settings{BitrateBps: 32000, Frame: 20 * time.Millisecond, FEC: true, LossHint: 0.05, REDDepth: i % 2})
			time.Sleep(20 * time.Millisecond)
		}
	}()
	var rtt time.Duration
	for polling := true; polling; {
		select {
		case <-done:
			polling = false
		default:
		}
		sa, sb := a.Stats(), b.Stats()
		rtt = max(rtt, sa.RTT, sb.RTT)
	}
	st := b.Stats()
	if n := st.Receive.FramesDecoded - frames; n < 50 {
		t.Errorf("bob decoded %d frames in 3 s of switching, want ≥ 50", n)
	}
	if rtt <= 0 {
		t.Error("no RTT reported")
	}
	t.Logf("bob decoded %d frames (%d recovered by RED); RTT up to %v", st.Receive.FramesDecoded, st.Receive.FramesRecoveredRED, rtt)
	hangup(t, a)
	<-b.Done()
}

// TestStatsDuringSetup reads both sides' Stats as fast as they come from Dial until the call
// carries audio: under -race this catches reads of pion's ICE transport before ICE starts
// (pion sets its gatherer then, unsynchronised with the getters).
func TestStatsDuringSetup(t *testing.T) {
	l, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	defer l.Close()
	ca.Source = &audio.Tone{FrequencyHz: 440, Amplitude: 0.3}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	id, err := e2ee.NewCallID(nil)
	if err != nil {
		t.Fatal(err)
	}
	pa, pb := NewPipe(id)
	defer pa.Close()
	a, err := Dial(ctx, ca, pa)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	polled := make(chan int)
	poll := func(c func() *Call) {
		n := 0
		for {
			select {
			case <-stop:
				polled <- n
				return
			default:
			}
			if call := c(); call != nil {
				_ = call.Stats()
				n++
			}
		}
	}
	var bob atomicCall
	go poll(func() *Call { return a })
	go poll(bob.load)
	m, err := pb.Recv(ctx)
	if err != nil || m.Kind != KindInvite {
		t.Fatalf("callee got %v, %v; want the invite", m.Kind, err)
	}
	b, err := Answer(ctx, cb, pb, m.Data)
	if err != nil {
		t.Fatal(err)
	}
	bob.store(b)
	waitAudio(t, b, b, 10)
	close(stop)
	t.Logf("Stats read %d times on alice's side, %d on bob's during setup", <-polled, <-polled)
	if st := a.Stats(); st.Path.Local == "" {
		t.Errorf("no path once connected: %+v", st.Path)
	}
	hangup(t, a)
	<-b.Done()
}

// atomicCall is a *Call set once by one goroutine and read by another.
type atomicCall struct{ p atomic.Pointer[Call] }

func (a *atomicCall) load() *Call   { return a.p.Load() }
func (a *atomicCall) store(c *Call) { a.p.Store(c) }

// TestRelayProtocol decodes the relay transport from pion's relay candidate priorities.
func TestRelayProtocol(t *testing.T) {
	for _, tc := range []struct {
		localPref uint32
		want      string
	}{{3, "udp"}, {2, "dtls"}, {1, "tcp"}, {0, "tls"}, {7, ""}} {
		prio := tc.localPref<<8 | 255 // type preference 0 (relay), component 1
		if got := relayProtocol(prio); got != tc.want {
			t.Errorf("relayProtocol(%#x) = %q, want %q", prio, got, tc.want)
		}
	}
}
