package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/parley-voice/parley/adapt/emodel"
	"github.com/parley-voice/parley/engine"
)

// demoSample is one second of the live call, as stats.json holds it.
type demoSample struct {
	T           float64 `json:"t_s"`
	Path        string  `json:"path"` // "direct", "relay" or "none"
	State       string  `json:"state"`
	SendKbps    float64 `json:"send_kbps"`    // alice's RTP payload rate over the second
	LossPct     float64 `json:"loss_pct"`     // packets bob expected but did not receive, this second
	JitterMs    float64 `json:"jb_delay_ms"`  // bob's mean jitter-buffer delay this second
	TargetMs    float64 `json:"jb_target_ms"` // bob's mean jitter-buffer target this second
	RED         bool    `json:"red"`          // alice sends RED, REDDepth copies per packet
	REDDepth    int     `json:"red_depth"`    //
	FEC         bool    `json:"fec"`          // alice's encoder has in-band FEC on
	DREDMs      float64 `json:"dred_ms"`      // Opus Deep REDundancy alice's packets carry (0: none)
	RecoveredFE uint64  `json:"frames_recovered_fec"`
	RecoveredRE uint64  `json:"frames_recovered_red"`
	Concealed   float64 `json:"concealed_pct"` // share of bob's playout synthesized by PLC
	// MOS is the E-model estimate (G.107.1 wideband scale) of this second alone: bob's concealed
	// share (all of it when nothing arrived while alice sent) and jitter-buffer delay over the
	// second, half the RTT, the encoder's bitrate. It recovers after an outage, unlike MOSCall.
	MOS float64 `json:"mos"`
	// MOSCall is the engine's estimate (alice's view, from bob's receiver reports), cumulative
	// over the call.
	MOSCall    float64 `json:"mos_call"`
	RTTMs      float64 `json:"rtt_ms"`
	TargetKbps float64 `json:"encoder_kbps"` // alice's encoder target bitrate
	Frame      float64 `json:"frame_ms"`     // alice's Opus frame

	// The network adaptation (engine.Stats.Adapt), when on: alice's last decision (bitrate,
	// FEC, RED depth, DRED), how many of her decisions changed the settings this second and
	// whether the last used the learned predictor's forecast (else the measured conditions
	// alone); bob's decided jitter-buffer target.
	Adaptive     bool          `json:"adaptive"`
	DecidedKbps  float64       `json:"adapt_bitrate_kbps,omitempty"`
	DecidedFEC   bool          `json:"adapt_fec,omitempty"`
	DecidedRED   int           `json:"adapt_red_depth,omitempty"`
	DecidedDRED  time.Duration `json:"-"`
	AdaptChanges uint64        `json:"adapt_changes,omitempty"`
	AdaptTrusted bool          `json:"adapt_trusted,omitempty"`
	DecidedFrame time.Duration `json:"-"`
	JBDecidedMs  float64       `json:"adapt_jb_target_ms,omitempty"`
}

// follow prints one line per second until the duration is over or ctx is cancelled (then it
// reports true); at half time it cuts the direct path (unless the call is relay-only: there is
// no direct path to cut).
func (d *liveDemo) follow(ctx context.Context, a, b *engine.Call) (interrupted bool) {
	out := d.env.Stdout
	start := time.Now()
	d.switchAt, d.cutAt = -1, -1
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	end := time.NewTimer(d.dur + 100*time.Millisecond) // after the last second's tick
	defer end.Stop()
	half := time.NewTimer(d.dur / 2)
	defer half.Stop()
	if d.relay {
		half.Stop()
	}
	prevA, prevB := a.Stats(), b.Stats()
	fmt.Fprintf(out, "%5s  %-6s %10s %9s %6s %15s  %-11s %4s\n", "t", "path", "send", "opus", "loss", "jb delay/target", "FEC/RED", "MOS")
	since := func() float64 { return time.Since(start).Seconds() }
	for {
		select {
		case <-ctx.Done():
			return true
		case <-end.C:
			return false
		case <-half.C:
			d.cut.Cut()
			d.cutAt = since()
			fmt.Fprintf(out, "%4.1fs  >>> network change: bob's direct path to alice is cut (TURN still reachable)\n", d.cutAt)
		case ev, ok := <-a.Events():
			if !ok {
				fmt.Fprintln(out, "alice's call ended early")
				return false
			}
			d.event("alice", since(), ev)
		case ev, ok := <-b.Events():
			if !ok {
				fmt.Fprintln(out, "bob's call ended early")
				return false
			}
			d.event("bob", since(), ev)
		case <-tick.C:
			sa, sb := a.Stats(), b.Stats()
			d.pathChanges("alice", start, prevA, sa)
			d.pathChanges("bob", start, prevB, sb)
			s := sample(since(), prevA, sa, prevB, sb)
			prevA, prevB = sa, sb
			if s.Path == "relay" {
				d.switched(s.T, sa.Path)
			}
			note := ""
			if n := len(d.samples); n == 0 || decided(d.samples[n-1]) != decided(s) {
				note = adaptNote(s)
			}
			d.samples = append(d.samples, s)
			fmt.Fprintf(out, "%4.0fs  %-6s %5.1f kb/s %3.0fk/%2.0fms %5.1f%% %8.0f/%3.0f ms  %-11s %4.2f%s\n", s.T, s.Path, s.SendKbps,
				s.TargetKbps, s.Frame, s.LossPct, s.JitterMs, s.TargetMs, protection(s.FEC, s.RED, s.REDDepth, s.DREDMs > 0), s.MOS, note)
		}
	}
}

// protection is the loss protection in use, "FEC", "RED(2)", "DRED", "FEC+RED(1)", …, or "-".
func protection(fec, red bool, depth int, dred bool) string {
	var parts []string
	if fec {
		parts = append(parts, "FEC")
	}
	if red {
		parts = append(parts, fmt.Sprintf("RED(%d)", depth))
	}
	if dred {
		parts = append(parts, "DRED")
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "+")
}

// decided is the adaptation's decision of a sample, for spotting changes.
func decided(s demoSample) [5]float64 {
	fec := 0.0
	if s.DecidedFEC {
		fec = 1
	}
	return [5]float64{s.DecidedKbps, fec, float64(s.DecidedRED), ms(s.DecidedFrame), ms(s.DecidedDRED)}
}

// adaptNote describes the adaptation's decision of a sample ("" when adaptation is off).
func adaptNote(s demoSample) string {
	if !s.Adaptive {
		return ""
	}
	// The default decision scores settings on the measured conditions, joined by the
	// predictor's forecast while the forecast is trusted.
	how := "measured"
	if s.AdaptTrusted {
		how = "forecast"
	}
	return fmt.Sprintf("  <- adaptation (%s): %.0f kb/s %.0f ms, %s", how, s.DecidedKbps, ms(s.DecidedFrame), protection(s.DecidedFEC, s.DecidedRED > 0, s.DecidedRED, s.DecidedDRED > 0))
}

// event prints a state change of one side.
func (d *liveDemo) event(who string, t float64, ev engine.Event) {
	switch {
	case ev.State == engine.StateReconnecting:
		fmt.Fprintf(d.env.Stdout, "%4.1fs  %s: path lost, reconnecting\n", t, who)
	case ev.State == engine.StateConnected && ev.Relayed:
		fmt.Fprintf(d.env.Stdout, "%4.1fs  %s: connected via relay: %v\n", t, who, ev.Path)
		d.switched(t, ev.Path)
	case ev.State == engine.StateConnected:
		fmt.Fprintf(d.env.Stdout, "%4.1fs  %s: connected again\n", t, who)
	case ev.State == engine.StateEnded:
		fmt.Fprintf(d.env.Stdout, "%4.1fs  %s: call ended: %v\n", t, who, ev)
	}
}

// demoPathChange is one path switch (without ICE restart) or ICE restart of one side.
type demoPathChange struct {
	T       float64 `json:"t_s"`
	Who     string  `json:"who"`
	Restart bool    `json:"ice_restart,omitempty"`
	To      string  `json:"to,omitempty"`
	Cause   string  `json:"cause,omitempty"`
}

// pathChanges prints and records the path switches and ICE restarts of one side since its
// previous snapshot.
func (d *liveDemo) pathChanges(who string, start time.Time, prev, cur engine.Stats) {
	out := d.env.Stdout
	if n := int(cur.Switches - prev.Switches); n > 0 {
		log := cur.SwitchLog
		for _, sw := range log[max(0, len(log)-n):] {
			c := demoPathChange{T: sw.At.Sub(start).Seconds(), Who: who, To: sw.To.String(), Cause: sw.Cause}
			d.changes = append(d.changes, c)
			fmt.Fprintf(out, "%4.1fs  %s: path switch, no ICE restart: %v (%s)\n", c.T, who, sw.To, sw.Cause)
		}
	}
	if n := cur.ICERestarts - prev.ICERestarts; n > 0 {
		t := time.Since(start).Seconds()
		for range n {
			d.changes = append(d.changes, demoPathChange{T: t, Who: who, Restart: true})
		}
		fmt.Fprintf(out, "%4.1fs  %s: ICE restart (%d so far): no standby path worked\n", t, who, cur.ICERestarts)
	}
}

// switched notes (once) the first relayed path seen after the cut.
func (d *liveDemo) switched(t float64, p engine.Path) {
	if d.switchAt >= 0 || d.cutAt < 0 {
		return
	}
	d.switchAt = t
	fmt.Fprintf(d.env.Stdout, "%4.1fs  >>> path switch: the call now runs through the TURN relay (%.1f s after the cut): %v\n", t, t-d.cutAt, p)
}

// sample turns two snapshots of each side into one second of figures.
func sample(t float64, pa, sa, pb, sb engine.Stats) demoSample {
	s := demoSample{T: t, State: sa.State.String(), RED: sa.Send.RED, REDDepth: sa.Send.REDDepth,
		FEC: sa.Send.FEC, DREDMs: ms(sa.Send.DRED), MOSCall: sa.MOS, RTTMs: ms(sa.RTT), TargetKbps: float64(sa.Send.BitrateBps) / 1000,
		Frame: ms(sa.Send.Frame)}
	if ad := sa.Adapt; ad.Enabled {
		s.Adaptive, s.DecidedKbps, s.DecidedFEC, s.DecidedRED = true, float64(ad.BitrateBps)/1000, ad.FEC, ad.REDDepth
		s.DecidedDRED = ad.DRED
		s.AdaptChanges, s.AdaptTrusted, s.DecidedFrame = ad.Changes-pa.Adapt.Changes, ad.Trusted, ad.Frame
		s.JBDecidedMs = ms(sb.Adapt.JitterTarget)
	}
	switch {
	case sa.Path.Local == "":
		s.Path = "none"
	case sa.Path.Relayed():
		s.Path = "relay"
	default:
		s.Path = "direct"
	}
	dt := t - 0
	if pa.Connected > 0 || sa.Connected > 0 {
		dt = (sa.Connected - pa.Connected).Seconds()
	}
	if dt <= 0 {
		dt = 1
	}
	s.SendKbps = float64(sa.Send.BytesSent-pa.Send.BytesSent) * 8 / 1000 / dt
	rb, ra := sb.Receive, pb.Receive
	lost := float64(rb.PacketsLost - ra.PacketsLost)
	got := float64(rb.PacketsReceived - ra.PacketsReceived)
	if lost < 0 {
		lost = 0
	}
	if got+lost > 0 {
		s.LossPct = 100 * lost / (got + lost)
	}
	// Loss counts from sequence gaps, so a path that carries nothing shows none: when alice sent
	// packets and bob received none, the second is all lost. (The jitter buffer then plays
	// comfort noise, which it cannot tell from alice's DTX silence, so it counts no concealment.)
	blackout := got == 0 && sa.Send.PacketsSent > pa.Send.PacketsSent
	if blackout {
		s.LossPct = 100
	}
	if n := float64(rb.JitterBufferEmittedCount - ra.JitterBufferEmittedCount); n > 0 {
		s.JitterMs = 1000 * (rb.JitterBufferDelay - ra.JitterBufferDelay) / n
		s.TargetMs = 1000 * (rb.JitterBufferTargetDelay - ra.JitterBufferTargetDelay) / n
	}
	s.RecoveredFE = rb.FramesRecoveredFEC - ra.FramesRecoveredFEC
	s.RecoveredRE = rb.FramesRecoveredRED - ra.FramesRecoveredRED
	if n := float64(rb.TotalSamplesReceived - ra.TotalSamplesReceived); n > 0 {
		// Around the path switch the delta has been seen above the samples played (113 %): clamp.
		s.Concealed = min(100, 100*float64(rb.ConcealedSamples-ra.ConcealedSamples)/n)
		heard := s.Concealed / 100
		if blackout {
			heard = 1
		}
		s.MOS = windowMOS(sa.Send.BitrateBps, sa.Send.Frame, sa.RTT, s.JitterMs, heard)
	}
	return s
}

// windowMOS is the E-model MOS of one second, as the engine's estimate (engine.Call.mos) but
// from that second's figures: emodel.ScoreCall with the mouth-to-ear delay of half the RTT,
// the jitter-buffer delay and the frame (emodel.MouthToEar), and the concealed share as loss.
// Zero when the E-model cannot score it.
func windowMOS(bitrateBps int, frame, rtt time.Duration, jbMs, loss float64) float64 {
	res, err := emodel.ScoreCall(emodel.Call{
		BitrateBps: bitrateBps, Frame: frame, Loss: min(1, max(0, loss)),
		MouthToEar: emodel.MouthToEar(rtt/2, time.Duration(jbMs*float64(time.Millisecond)), frame),
	})
	if err != nil {
		return 0
	}
	return res.MOS
}
