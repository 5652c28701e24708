package engine

import (
	"fmt"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/engine/media"
)

// The adaptation runs on the media core's cadence (media.Tick, media.FeedbackInterval,
// media.DecideEvery), as the bench drives it in virtual time: a decision every 500 ms on each
// side (and one at once when a feedback message shows over-use, media.Urgent), an RTT sample from the ICE consent checks every second, and arrival feedback every
// 200 ms, each message repeating the arrivals of the last 450 ms.

// defaultJitterTarget is the adapt policy's own initial jitter target (its ladder floor).
var defaultJitterTarget = sync.OnceValue(func() time.Duration {
	p, err := adapt.NewPolicy(adapt.PolicyConfig{})
	if err != nil {
		return 40 * time.Millisecond
	}
	return p.Current().JitterTarget
})

// policyConfig is Config.AdaptPolicy with its Initial settings, when zero, taken from the
// configured send settings (clamped into what adapt chooses from).
func policyConfig(s *settings) adapt.PolicyConfig {
	cfg := s.AdaptPolicy
	// The receiver rebuilds lost frames from DRED whenever libopus has it (recv.go), so the
	// policy may send it when the same libopus can encode it.
	cfg.DRED = cfg.DRED || codec.Features().DRED
	if cfg.Initial == (adapt.Settings{}) {
		cfg.Initial = adapt.Settings{
			BitrateBps:   min(max(s.codec.BitrateBps, adapt.MinBitrateBps), adapt.MaxBitrateBps),
			Frame:        max(s.Frame, 20*time.Millisecond),
			FEC:          s.codec.FEC,
			REDDepth:     min(s.REDDepth, adapt.MaxREDDepth),
			JitterTarget: defaultJitterTarget(),
		}
		if cfg.Initial.FEC {
			cfg.Initial.LossHint = s.codec.LossHint
		}
	}
	return cfg
}

// newController builds one side's adapt controller over the embedded model.
func newController(s *settings) (*adapt.Controller, error) {
	ctl, err := adapt.NewController(nil, policyConfig(s))
	if err != nil {
		return nil, fmt.Errorf("%w: AdaptPolicy: %w", ErrConfig, err)
	}
	return ctl, nil
}

// onMessage dispatches a data-channel message from the peer: arrival feedback to the send
// side of the adaptation, anything else to the receiver's reports.
func (c *Call) onMessage(b []byte) {
	if len(b) == 0 || b[0] != media.FeedbackVersion {
		c.recv.onReport(b)
		return
	}
	c.recv.touch()
	if snd := c.send; snd.ad != nil {
		at := snd.clock()
		snd.adMu.Lock()
		_ = snd.ad.OnFeedback(at, b) // a malformed message is dropped
		snd.adMu.Unlock()
	}
}

// adaptLoop runs the adaptation until the call ends: every media.FeedbackInterval it sends
// this side's arrival feedback on dc (always, so that a peer that adapts can), and unless
// Config.NoAdapt the sender's media.Adapter decides the send settings (applied from the next
// frame) and the receiver's jitter controller its target.
func (c *Call) adaptLoop(dc *webrtc.DataChannel) {
	t := time.NewTicker(media.Tick)
	defer t.Stop()
	var buf [media.FeedbackMaxSize]byte
	var lastRTT time.Time
	var rtt, lastJitter time.Duration
	jitterDecided := false
	snd, rcv := c.send, c.recv
	for {
		select {
		case <-c.ended:
			return
		case <-t.C:
		}
		now := rcv.clock()
		rcv.mu.Lock()
		var b []byte
		if log := rcv.mr.Log(); log.FeedbackDue(now, media.Tick) {
			b = log.AppendFeedback(now, buf[:0])
		}
		rcv.mu.Unlock()
		if len(b) > 0 {
			if err := dc.Send(b); err != nil && !c.hasEnded() {
				c.log.Debug("arrival feedback not sent", "err", err)
			}
		}
		if c.s.NoAdapt {
			continue
		}
		if wall := c.s.Now(); wall.Sub(lastRTT) >= media.RTTInterval-media.Tick/2 {
			lastRTT = wall
			if r := c.pionRTT(); r > 0 {
				rtt = r
			}
		}
		snd.adMu.Lock()
		snd.ad.OnRTT(rtt)
		d, ok := snd.ad.Tick(snd.clock(), media.Tick)
		if ok {
			snd.last = d
			snd.n++
		}
		snd.adMu.Unlock()
		if ok {
			s := d.Settings
			snd.pending.Store(&s)
		}
		if !jitterDecided || now-lastJitter >= media.DecideEvery-media.Tick/2 {
			jitterDecided, lastJitter = true, now
			rcv.mu.Lock()
			rcv.mr.DecideJitter(now, rtt)
			rcv.mu.Unlock()
		}
	}
}

// pionRTT is the round-trip time of the selected ICE pair from its consent checks; 0 while unknown.
func (c *Call) pionRTT() time.Duration {
	c.mu.Lock()
	pc, state := c.pc, c.state
	c.mu.Unlock()
	if pc == nil || state == StateEnded || !c.recv.rtpRead.Load() {
		return 0
	}
	rtt, _ := fromPion(pc, Path{})
	return rtt
}

// stater is a policy that reports the adapt controller's state (media.AdaptPolicy).
type stater interface{ State() media.AdaptState }

// adaptStats is the Adapt section of Stats.
func (c *Call) adaptStats() AdaptStats {
	st := AdaptStats{Enabled: !c.s.NoAdapt}
	if snd := c.send; snd.ad != nil {
		snd.adMu.Lock()
		st.Decisions, st.Settings = snd.n, snd.last.Settings
		sp, ok := snd.ad.Policy().(stater)
		var as media.AdaptState
		if ok {
			as = sp.State()
		}
		snd.adMu.Unlock()
		if ok {
			d, p := as.Last, as.Prediction
			st.Decisions, st.Changes = as.Decisions, as.Changes
			st.Trusted, st.Rung = st.Decisions > 0 && !d.Fallback, d.Rung
			st.Settings = media.FromAdapt(d.Settings)
			st.WireBps, st.LimitBps, st.MOS = d.WireBps, d.LimitBps, d.Score.MOS
			st.PredictedBps, st.PredictedLoss, st.PredictedBurst = p.SustainableBps, p.Loss, p.MeanBurst
			st.PredictedDelayP95 = p.DelayP95
		} else if st.Decisions > 0 {
			st.WireBps = st.Settings.WireBps()
		}
	}
	c.recv.mu.Lock()
	target, n, trusted, ok := c.recv.mr.JitterState()
	c.recv.mu.Unlock()
	if ok {
		st.JitterTarget, st.JitterDecisions, st.JitterTrusted = target, n, trusted
	}
	return st
}
