package engine

import (
	"context"
	"log/slog"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/internal/natlab"
	"github.com/parley-voice/parley/internal/netem"
)

// handoverTarget is the most audio bob may lose (concealed, or played as silence) to one
// handover at the 95th percentile: the target.
const handoverTarget = 150 * time.Millisecond

// TestPathHandover cuts the active path of a call again and again, both ways, while the other
// kind of path stays up — the direct path, then the relay the call moved to, and so on, each
// cut path restored before the next cut — as network changes would. Every time the call must
// move to the standby without an ICE restart, without ending, and bob must lose little of
// alice's voice. Before the first two cuts the standby dies for a while instead: the call must
// stay on its live path. PARLEY_HANDOVER_CUTS sets the number of cuts (default 4; the issue's
// figure is over 20 or more, where the 95th percentile is checked against handoverTarget).
func TestPathHandover(t *testing.T) {
	cuts := 4
	if v := os.Getenv("PARLEY_HANDOVER_CUTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("PARLEY_HANDOVER_CUTS=%q: want a positive number", v)
		}
		cuts = n
	}
	base := runtime.NumGoroutine()
	l, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	alice, _ := l.Peer("alice")
	// Bob's side of every direct pair goes through alice's address, of every relayed pair
	// through the TURN server's.
	direct := netem.NewCut(cb.Net, netem.CutConfig{Peer: alice.PublicIP})
	relay := netem.NewCut(direct, netem.CutConfig{Peer: net.ParseIP(natlab.ServerIP)})
	cb.Net = relay
	ca.Source = &audio.Tone{FrequencyHz: 440, Amplitude: 0.3} // bob is silent (DTX), as in the demo
	if os.Getenv("PARLEY_TEST_LOG") != "" {
		cb.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("who", "bob")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(30+8*cuts)*time.Second)
	defer cancel()
	a, b := connect(t, ctx, ca, cb)
	waitState(t, ctx, b, StateConnected)
	waitAudio(t, b, b, 25)
	if p := a.Stats().Path; p.Relayed() {
		t.Fatalf("path before the first cut is %v, want direct", p)
	}
	alive := func() {
		t.Helper()
		if a.State() == StateEnded || b.State() == StateEnded {
			t.Fatalf("the call ended (alice %v, bob %v)", a.State(), b.State())
		}
		if ctx.Err() != nil {
			t.Fatal("deadline")
		}
	}
	// lost is what bob did not hear of alice's voice since s0: concealed plus comfort noise.
	lost := func(s0 Stats) time.Duration {
		r0, r := s0.Receive, b.Stats().Receive
		n := r.ConcealedSamples - r0.ConcealedSamples + r.DTXSamples - r0.DTXSamples
		return time.Duration(n) * time.Second / 48000
	}
	var losses []time.Duration
	for i := range cuts {
		active := a.Stats().Path
		hole, other := direct, relay
		if active.Relayed() {
			hole, other = relay, direct
		}
		other.Restore()
		// Both sides must see a live standby of the other kind, and audio flow, before the cut.
		for {
			alive()
			sa, sb := a.Stats(), b.Stats()
			if sa.Standby.Local != "" && sa.Standby.Relayed() != active.Relayed() &&
				sb.Standby.Local != "" && sb.Standby.Relayed() != active.Relayed() {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if i < 2 {
			// The standby dies while the active path works: nothing may change.
			s0, sw0 := b.Stats(), a.Stats().Switches+b.Stats().Switches
			other.Cut()
			time.Sleep(standbyFresh + time.Second)
			alive()
			sa := a.Stats()
			if sa.Path.Relayed() != active.Relayed() || sa.Switches+b.Stats().Switches != sw0 || sa.ICERestarts != 0 {
				t.Errorf("standby died: alice's path %v (was %v), %d switches, %d restarts; want no change",
					sa.Path, active, sa.Switches+b.Stats().Switches-sw0, sa.ICERestarts)
			}
			if sa.Standby.Local != "" && sa.Standby.Relayed() != active.Relayed() {
				t.Errorf("alice still shows the dead standby %v (%v ago)", sa.Standby, sa.StandbyAge)
			}
			t.Logf("standby (%s) died for %v on %v: no switch, bob lost %v of audio", map[bool]string{true: "relay", false: "direct"}[!active.Relayed()], standbyFresh+time.Second, active, lost(s0))
			other.Restore()
			i := 0
			for sa := a.Stats(); sa.Standby.Local == "" || sa.Standby.Relayed() == active.Relayed(); sa = a.Stats() {
				alive()
				if i++; i > 500 {
					t.Fatalf("the standby did not come back: %v", sa.Standby)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		frames := b.Stats().Receive.FramesDecoded
		for b.Stats().Receive.FramesDecoded < frames+25 {
			alive()
			time.Sleep(20 * time.Millisecond)
		}

		s0 := b.Stats()
		cut := time.Now()
		hole.Cut()
		for a.Stats().Path.Relayed() == active.Relayed() || b.Stats().Path.Relayed() == active.Relayed() {
			alive()
			if time.Since(cut) > 10*time.Second {
				t.Fatalf("cut %d: still on %v (alice) / %v (bob) 10 s after the cut", i, a.Stats().Path, b.Stats().Path)
			}
			time.Sleep(5 * time.Millisecond)
		}
		switched := time.Since(cut)
		// Let the buffer play past the gap.
		time.Sleep(time.Second)
		alive()
		loss := lost(s0)
		losses = append(losses, loss)
		sa := a.Stats()
		var cause string
		if n := len(sa.SwitchLog); n > 0 {
			cause = "alice: " + sa.SwitchLog[n-1].Cause
		}
		if sb := b.Stats(); len(sb.SwitchLog) > 0 {
			cause += "; bob: " + sb.SwitchLog[len(sb.SwitchLog)-1].Cause
		}
		t.Logf("cut %d of %v: both on %v %v after the cut; bob lost %v of audio; %s",
			i+1, active, sa.Path, switched.Round(time.Millisecond), loss, cause)
	}
	sa, sb := a.Stats(), b.Stats()
	if sa.ICERestarts != 0 {
		t.Errorf("%d ICE restarts, want none: a standby was always alive", sa.ICERestarts)
	}
	sorted := slices.Clone(losses)
	slices.Sort(sorted)
	p95 := sorted[(len(sorted)*95+99)/100-1]
	t.Logf("%d handovers: audio lost per handover median %v, p95 %v, max %v (target p95 ≤ %v); switches alice %d, bob %d; ICE restarts %d",
		len(losses), sorted[len(sorted)/2], p95, sorted[len(sorted)-1], handoverTarget, sa.Switches, sb.Switches, sa.ICERestarts)
	if len(losses) >= 20 && p95 > handoverTarget {
		t.Errorf("p95 audio lost per handover %v, want ≤ %v", p95, handoverTarget)
	}
	// With few cuts, under -race on a loaded machine (pion several times slower), only a
	// handover far from prompt fails: the old restart-based failover lost 350–400 ms without
	// -race.
	if sorted[len(sorted)-1] > 4*handoverTarget {
		t.Errorf("a handover lost %v of audio, want ≤ %v", sorted[len(sorted)-1], 4*handoverTarget)
	}
	hangup(t, a)
	<-b.Done()
	_ = l.Close()
	waitGoroutines(t, base, 10*time.Second)
}

// TestPathFailoverOneWay cuts only alice → bob on the direct path: alice still hears bob, so
// it is bob, who hears nothing, who probes the standby and switches; alice follows.
func TestPathFailoverOneWay(t *testing.T) {
	base := runtime.NumGoroutine()
	l, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	alice, _ := l.Peer("alice")
	hole := netem.NewCut(cb.Net, netem.CutConfig{Peer: alice.PublicIP, InboundOnly: true})
	cb.Net = hole
	ca.Source = &audio.Tone{FrequencyHz: 440, Amplitude: 0.3}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b := connect(t, ctx, ca, cb)
	waitState(t, ctx, b, StateConnected)
	waitAudio(t, b, b, 25)
	for sb := b.Stats(); sb.Standby.Local == "" || !sb.Standby.Relayed(); sb = b.Stats() {
		if ctx.Err() != nil {
			t.Fatalf("no relay standby: %v", sb.Standby)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s0 := b.Stats()
	cut := time.Now()
	hole.Cut()
	for !a.Stats().Path.Relayed() {
		if ctx.Err() != nil || a.State() == StateEnded {
			t.Fatalf("alice did not switch: %v, %v", a.Stats().Path, a.State())
		}
		time.Sleep(5 * time.Millisecond)
	}
	switched := time.Since(cut)
	time.Sleep(time.Second)
	r0, r := s0.Receive, b.Stats().Receive
	loss := time.Duration(r.ConcealedSamples-r0.ConcealedSamples+r.DTXSamples-r0.DTXSamples) * time.Second / 48000
	sa, sb := a.Stats(), b.Stats()
	t.Logf("alice on %v %v after the cut; bob lost %v of audio; bob's switches %v", sa.Path, switched.Round(time.Millisecond), loss, sb.SwitchLog)
	if sa.ICERestarts != 0 || sb.Switches == 0 {
		t.Errorf("%d ICE restarts, bob switched %d times; want no restart, bob switching", sa.ICERestarts, sb.Switches)
	}
	if loss > 4*handoverTarget {
		t.Errorf("bob lost %v of audio, want ≤ %v", loss, 4*handoverTarget)
	}
	hangup(t, a)
	<-b.Done()
	_ = l.Close()
	waitGoroutines(t, base, 10*time.Second)
}

// TestRelayOutage runs a call through the TURN relay (both sides PolicyRelay) and takes
// alice's link to zero capacity, both ways, for 3 s mid-call. With signaling up (and
// DisconnectTimeout 2 s, shorter than the outage) the call must show the path lost, keep
// restarting ICE, not end, and carry alice's voice to bob again soon after the outage. With the
// signaling channel closed before the outage nothing can be restarted: the pair ICE keeps
// probing must carry the call again by itself.
func TestRelayOutage(t *testing.T) {
	t.Run("signaling-up", func(t *testing.T) { testRelayOutage(t, true) })
	t.Run("signaling-down", func(t *testing.T) { testRelayOutage(t, false) })
}

func testRelayOutage(t *testing.T, signaling bool) {
	const (
		outageAt   = 6 * time.Second // from the link's creation, just before the call
		outageFor  = 3 * time.Second
		backWithin = 2500 * time.Millisecond // audio at bob again within this of the outage's end
	)
	base := runtime.NumGoroutine()
	l, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	ca.Policy, cb.Policy = PolicyRelay, PolicyRelay
	ca.Source = &audio.Tone{FrequencyHz: 440, Amplitude: 0.3}
	ca.DisconnectTimeout, cb.DisconnectTimeout = 2*time.Second, 2*time.Second
	if !signaling {
		ca.DisconnectTimeout, cb.DisconnectTimeout = 8*time.Second, 8*time.Second
	}
	steps := netem.CapacityConfig{
		Steps:      []netem.RateStep{{Duration: outageAt, RateBps: 50e6}, {Duration: outageFor, RateBps: 0}, {RateBps: 50e6}},
		QueueDelay: 100 * time.Millisecond,
	}
	link, err := netem.NewNet(ca.Net, netem.NetConfig{Egress: netem.LinkConfig{Capacity: steps}, Ingress: netem.LinkConfig{Capacity: steps}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ca.Net = link
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b, pa, pb := connectPipes(t, ctx, ca, cb)
	bl := recordEvents(b)
	bl.wait(t, ctx, time.Time{}, isState(StateConnected))
	waitAudio(t, b, b, 25)
	if !a.Stats().Path.Relayed() {
		t.Fatalf("alice's path %v, want a relay", a.Stats().Path)
	}
	if time.Since(start) > outageAt-500*time.Millisecond {
		t.Fatalf("the call took %v to carry audio, past the scheduled outage at %v", time.Since(start), outageAt)
	}
	if !signaling {
		pa.Close()
		pb.Close()
	}

	begin, end := start.Add(outageAt), start.Add(outageAt+outageFor)
	// Wait until the outage has surely begun (a packet queued at its start may still leave
	// within the queue's 100 ms): from then on no RTP arrives until it ends.
	time.Sleep(time.Until(begin.Add(200 * time.Millisecond)))
	frames, bytes := b.Stats().Receive.FramesDecoded, b.recv.bytesRecv.Load()
	lost := bl.wait(t, ctx, begin, isState(StateReconnecting))
	for time.Now().Before(end) {
		if st := b.State(); st == StateEnded {
			r, err := b.Reason()
			t.Fatalf("bob's call ended during the outage: %s %v", r, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var played time.Time
	for played.IsZero() {
		if b.recv.bytesRecv.Load() != bytes && b.Stats().Receive.FramesDecoded > frames {
			played = time.Now()
		}
		if ctx.Err() != nil || a.State() == StateEnded || b.State() == StateEnded {
			ra, _ := a.Reason()
			rb, _ := b.Reason()
			t.Fatalf("audio did not come back after the outage (alice %v %s, bob %v %s)", a.State(), ra, b.State(), rb)
		}
		time.Sleep(5 * time.Millisecond)
	}
	back := bl.wait(t, ctx, lost.At, isRestored)
	t.Logf("outage %v–%v after the link's start; bob lost the path at %v, played alice again %v after the outage's end (restored event: outage %v); alice restarted ICE %d times; path %v",
		outageAt, outageAt+outageFor, lost.At.Sub(start).Round(time.Millisecond), played.Sub(end).Round(time.Millisecond),
		back.Outage.Round(time.Millisecond), a.Stats().ICERestarts, a.Stats().Path)
	if lost.At.After(begin.Add(lostAfter + 500*time.Millisecond)) {
		t.Errorf("bob lost the path %v after the outage began", lost.At.Sub(begin))
	}
	if back.Outage < outageFor-500*time.Millisecond {
		t.Errorf("restored event outage %v, want about the %v outage", back.Outage, outageFor)
	}
	if d := played.Sub(end); d > backWithin {
		t.Errorf("bob played audio again %v after the outage ended, want ≤ %v", d, backWithin)
	}
	if signaling && a.Stats().ICERestarts == 0 {
		t.Error("no ICE restart during the outage")
	}
	if !signaling && a.Stats().ICERestarts != 0 {
		t.Errorf("%d ICE restarts without signaling", a.Stats().ICERestarts)
	}
	hangupCtx, cancelHangup := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelHangup()
	_ = a.Hangup(hangupCtx)
	_ = b.Hangup(hangupCtx)
	_ = link.Close()
	_ = l.Close()
	waitGoroutines(t, base, 10*time.Second)
}

// TestPeerVanishes cuts bob off the network — media and signaling — mid-call without a word:
// alice must show "reconnecting" and then end the call with ReasonPeerLost within 10 s.
func TestPeerVanishes(t *testing.T) {
	base := runtime.NumGoroutine()
	l, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	hole := netem.NewCut(cb.Net, netem.CutConfig{})
	cb.Net = hole
	ca.DisconnectTimeout = 4 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	a, b, _, pb := connectPipes(t, ctx, ca, cb)
	waitState(t, ctx, a, StateConnected)
	waitState(t, ctx, b, StateConnected)
	cut := time.Now()
	hole.Cut()
	pb.Close()
	waitState(t, ctx, a, StateReconnecting)
	ev := waitState(t, ctx, a, StateEnded)
	gone := time.Since(cut)
	if ev.Reason != ReasonPeerLost || gone > 10*time.Second {
		t.Errorf("alice's call ended %v after the cut with %v, want %v within 10 s", gone, ev, ReasonPeerLost)
	}
	t.Logf("alice: %v, %v after the cut", ev, gone.Round(time.Millisecond))
	hangup(t, b)
	_ = l.Close()
	waitGoroutines(t, base, 10*time.Second)
}

// TestSilentPeerOnLiveSignaling: bob's media path dies for good but his engine still answers
// on signaling; alice keeps restarting ICE and does not end the call, however long it lasts
// (here twice DisconnectTimeout), until she hangs up.
func TestSilentPeerOnLiveSignaling(t *testing.T) {
	const disconnect = 2 * time.Second
	base := runtime.NumGoroutine()
	l, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	hole := netem.NewCut(cb.Net, netem.CutConfig{})
	cb.Net = hole
	ca.DisconnectTimeout, cb.DisconnectTimeout = disconnect, disconnect
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b := connect(t, ctx, ca, cb)
	waitState(t, ctx, a, StateConnected)
	waitState(t, ctx, b, StateConnected)
	hole.Cut()
	waitState(t, ctx, a, StateReconnecting)
	n := a.Stats().ICERestarts
	time.Sleep(2 * disconnect)
	if a.State() != StateReconnecting || b.State() != StateReconnecting {
		ra, ea := a.Reason()
		rb, eb := b.Reason()
		t.Fatalf("after %v without a path: alice %v (%s %v), bob %v (%s %v); want both reconnecting", 2*disconnect, a.State(), ra, ea, b.State(), rb, eb)
	}
	// The backoff is capped at a third of DisconnectTimeout.
	if m := a.Stats().ICERestarts; m < n+3 {
		t.Errorf("%d ICE restarts in %v without a path, want at least 3", m-n, 2*disconnect)
	}
	hangup(t, a)
	if ev := waitState(t, ctx, b, StateEnded); ev.Reason != ReasonRemoteHangup {
		t.Errorf("bob's call ended with %v, want %v", ev, ReasonRemoteHangup)
	}
	_ = l.Close()
	waitGoroutines(t, base, 10*time.Second)
}

// eventLog records a call's events as they come, for tests that look for one after a moment.
type eventLog struct {
	mu  sync.Mutex
	evs []Event
}

// recordEvents reads all of c's events from now on into a log.
func recordEvents(c *Call) *eventLog {
	l := &eventLog{}
	go func() {
		for ev := range c.Events() {
			l.mu.Lock()
			l.evs = append(l.evs, ev)
			l.mu.Unlock()
		}
	}()
	return l
}

// wait returns the first recorded event at or after since that satisfies ok, polling until
// ctx ends.
func (l *eventLog) wait(t *testing.T, ctx context.Context, since time.Time, ok func(Event) bool) Event {
	t.Helper()
	for {
		l.mu.Lock()
		for _, ev := range l.evs {
			if !ev.At.Before(since) && ok(ev) {
				l.mu.Unlock()
				return ev
			}
		}
		l.mu.Unlock()
		if ctx.Err() != nil {
			t.Fatalf("no such event before the deadline; events: %v", l.all())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (l *eventLog) all() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.evs...)
}

func isState(s State) func(Event) bool { return func(ev Event) bool { return ev.State == s } }

// isRestored matches the event reporting a lost path restored.
func isRestored(ev Event) bool { return ev.State == StateConnected && ev.Outage > 0 }

// connectPipes places a call from a to b over a Pipe, ringing and answering as soon as the
// invite arrives; it returns the calls and the two signaling ends (caller's, callee's).
func connectPipes(t testing.TB, ctx context.Context, ca, cb Config) (*Call, *Call, *Pipe, *Pipe) {
	t.Helper()
	id, err := e2ee.NewCallID(nil)
	if err != nil {
		t.Fatal(err)
	}
	pa, pb := NewPipe(id)
	t.Cleanup(func() { pa.Close(); pb.Close() })
	a, err := Dial(ctx, ca, pa)
	if err != nil {
		t.Fatal(err)
	}
	m, err := pb.Recv(ctx)
	if err != nil || m.Kind != KindInvite {
		t.Fatalf("callee got %v, %v; want the invite", m.Kind, err)
	}
	if err := pb.Send(ctx, Message{Kind: KindRinging}); err != nil {
		t.Fatal(err)
	}
	b, err := Answer(ctx, cb, pb, m.Data)
	if err != nil {
		t.Fatal(err)
	}
	return a, b, pa, pb
}

// TestBurstyLinkNoSwitch runs a call over a bursty emulated uplink (alice's, as in the demo)
// without any cut: every pair shares that link, so its delivery gaps and outages silence them
// all and no switch can help. It counts the switches and ICE restarts and the silences bob and
// alice lived through, and requires no switch unless a silence outlasted lostAfter, and no
// restart unless one outlasted restartAfter. PARLEY_BURSTY_DURATION sets each link's duration (default 8 s; the figure
// is over 3m).
func TestBurstyLinkNoSwitch(t *testing.T) {
	dur := 8 * time.Second
	if v := os.Getenv("PARLEY_BURSTY_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("PARLEY_BURSTY_DURATION=%q: want a positive duration", v)
		}
		dur = d
	}
	for _, name := range []string{"3g", "lte-bursty"} {
		t.Run(name, func(t *testing.T) { testBurstyLink(t, name, dur) })
	}
}

func testBurstyLink(t *testing.T, profile string, dur time.Duration) {
	base := runtime.NumGoroutine()
	prof, err := netem.Profile(profile)
	if err != nil {
		t.Fatal(err)
	}
	l, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	link, err := netem.NewNet(ca.Net, netem.NetConfig{Egress: prof, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ca.Net = link
	ca.Source = &audio.Tone{FrequencyHz: 440, Amplitude: 0.3}
	ctx, cancel := context.WithTimeout(context.Background(), dur+60*time.Second)
	defer cancel()
	a, b := connect(t, ctx, ca, cb)
	waitState(t, ctx, b, StateConnected)
	waitAudio(t, b, b, 25)
	// silences counts the silences at one side by length: over suspectMin, 300 ms (the old
	// trigger), lostAfter and restartAfter; longest is the longest.
	type silences struct {
		over     [4]int
		longest  time.Duration
		inSilent time.Duration
	}
	limits := [4]time.Duration{suspectMin, 300 * time.Millisecond, lostAfter, restartAfter}
	var sa, sb silences
	watch := func(s *silences, c *Call, now time.Time) {
		last := c.recv.lastArrival()
		silent := now.Sub(last)
		if silent < s.inSilent { // the silence ended: count it
			for i, lim := range limits {
				if s.inSilent >= lim {
					s.over[i]++
				}
			}
		}
		s.inSilent = silent
		s.longest = max(s.longest, silent)
	}
	a0, b0 := a.Stats(), b.Stats()
	for end := time.Now().Add(dur); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if a.State() == StateEnded || b.State() == StateEnded {
			t.Fatalf("the call ended (alice %v, bob %v)", a.State(), b.State())
		}
		now := time.Now()
		watch(&sa, a, now)
		watch(&sb, b, now)
	}
	as, bs := a.Stats(), b.Stats()
	switches := as.Switches - a0.Switches + bs.Switches - b0.Switches
	restarts := as.ICERestarts - a0.ICERestarts
	r0, r := b0.Receive, bs.Receive
	t.Logf("%s for %v: %d path switches (alice %v, bob %v), %d ICE restarts; silences over %v/%v/%v/%v: bob %v (longest %v), alice %v (longest %v); bob concealed %.1f%%",
		profile, dur, switches, as.SwitchLog, bs.SwitchLog, restarts, limits[0], limits[1], limits[2], limits[3],
		sb.over, sb.longest.Round(time.Millisecond), sa.over, sa.longest.Round(time.Millisecond),
		100*float64(r.ConcealedSamples-r0.ConcealedSamples)/float64(max(1, r.TotalSamplesReceived-r0.TotalSamplesReceived)))
	// Every pair shares the link: a switch gains nothing, and only an outage longer than the
	// evidence a switch needs without a check of the active pair (lostAfter) may cause one;
	// a restart needs one longer than restartAfter.
	longest := max(sa.longest, sb.longest)
	if switches != 0 && longest < lostAfter {
		t.Errorf("%d path switches on a link every pair shares, though no silence reached %v", switches, lostAfter)
	}
	if restarts != 0 && longest < restartAfter {
		t.Errorf("%d ICE restarts though no silence reached %v", restarts, restartAfter)
	}
	hangup(t, a)
	<-b.Done()
	_ = link.Close()
	_ = l.Close()
	waitGoroutines(t, base, 10*time.Second)
}

// TestGapStatsQuantile checks the adaptive threshold's window: quantiles from the histogram,
// the oldest gaps leaving the window, and the bounds of suspectAfter.
func TestGapStatsQuantile(t *testing.T) {
	var w pathWatch
	if got := w.suspectAfter(); got != suspectMin {
		t.Errorf("empty window: suspectAfter %v, want %v", got, suspectMin)
	}
	for range gapWindow {
		w.gaps.add(20 * time.Millisecond)
	}
	for range 10 { // under 3 %: a loaded machine's stalls
		w.gaps.add(400 * time.Millisecond)
	}
	if got := w.gaps.quantile(0.97); got != 30*time.Millisecond {
		t.Errorf("p97 %v, want 30ms (the 20 ms bucket's upper bound)", got)
	}
	if got := w.suspectAfter(); got != suspectMin {
		t.Errorf("suspectAfter %v, want %v", got, suspectMin)
	}
	for range gapWindow / 10 { // a bursty link: 10 % of gaps at 150 ms
		w.gaps.add(150 * time.Millisecond)
	}
	if got := w.suspectAfter(); got != 240*time.Millisecond {
		t.Errorf("suspectAfter %v, want 240ms (1.5 × the 160 ms bucket bound)", got)
	}
	for range gapWindow {
		w.gaps.add(5 * time.Second) // clamped into the last bucket
	}
	if got := w.suspectAfter(); got != suspectMax {
		t.Errorf("suspectAfter %v, want %v", got, suspectMax)
	}
}
