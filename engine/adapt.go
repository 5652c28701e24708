package engine

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/engine/jitter"
)

// The adaptation loop's periods, as bench.RunAdaptive drives adapt.Controller offline: a
// decision every 500 ms on each side, an RTT sample from the ICE consent checks every second,
// and arrival feedback every 200 ms, each message repeating the arrivals of the last 450 ms
// (so each arrival travels twice). At 20 ms frames that is five messages a second of ~160
// bytes (23 records of 6 bytes) plus DTLS, SCTP, UDP and IP headers: measured on a natlab call,
// 5.5–6 more packets and 10.5–11 kb/s more from the receiver, and 4.5–5 more packets a second
// (SCTP acknowledgements) back. Every 100 ms, as bench assumes, would cost about twice that
// for 50 ms less feedback delay on average.
const (
	feedbackInterval = 200 * time.Millisecond
	feedbackSpan     = 450 * time.Millisecond
	decideEvery      = 500 * time.Millisecond
	adaptTick        = 100 * time.Millisecond // the loop's resolution
	// feedbackStale is how long after the latest feedback message the sender starts counting
	// the silence as the path's (two intervals: one message may be lost).
	feedbackStale = 2 * feedbackInterval
	rttEvery      = time.Second
	// idleAfter is how long after the last packet sent (silence under DTX, mute) the sender
	// stops deciding: with nothing sent, feedback stops, and the gap says nothing of the path.
	idleAfter = 2 * time.Second

	arrivalLogSize = 256  // arrivals the receiver keeps for feedback (5 s at 20 ms frames)
	sentLogSize    = 1024 // packets the sender remembers for feedback, by sequence number
)

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

// rxAdapt is the receive side of the adaptation: the log of arrivals fed back to the peer, and
// (with Config.AdaptJitter) a controller fed with every local arrival whose decided jitter
// target the jitter buffer follows. mu guards everything but target.
type rxAdapt struct {
	mu  sync.Mutex
	ctl *adapt.Controller // nil unless AdaptJitter

	log [arrivalLogSize]arrivalRecord // ring; arrival number k is at k % arrivalLogSize
	n   uint64                        // arrivals so far
	fb  feedback                      // scratch for appendFeedback

	// RTP timestamp unwrapping: the sender's clock of each arrival.
	tsStarted bool
	tsLast    uint32
	tsExt     int64

	decisions uint64
	last      adapt.Decision
	trusted   bool

	target atomic.Int64 // decided jitter target, nanoseconds; read by policy
}

func newRxAdapt(s *settings) (*rxAdapt, error) {
	a := &rxAdapt{}
	if s.NoAdapt || !s.AdaptJitter || s.JitterPolicy != nil {
		return a, nil
	}
	ctl, err := newController(s)
	if err != nil {
		return nil, err
	}
	a.ctl = ctl
	a.last.Settings = ctl.Policy.Current()
	a.target.Store(int64(a.last.JitterTarget))
	return a, nil
}

// onPacket records one RTP packet of payloadBytes that arrived at time at (the receiver's
// clock). It allocates nothing.
func (a *rxAdapt) onPacket(at time.Duration, ts uint32, seq uint16, payloadBytes int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.log[a.n%arrivalLogSize] = arrivalRecord{at: at, seq: seq}
	a.n++
	if a.ctl == nil {
		return
	}
	if !a.tsStarted {
		a.tsStarted, a.tsLast, a.tsExt = true, ts, int64(ts)
	}
	ext := a.tsExt + int64(int32(ts-a.tsLast))
	if ext > a.tsExt {
		a.tsExt, a.tsLast = ext, ts
	}
	send := time.Duration(ext) * time.Millisecond / (rtpClockHz / 1000)
	// No OnSend: a receiver does not know the send rate (adapt.Features.SendRateBps is the
	// sender's). The model was trained on features with it, so its predictions here are out
	// of range and the rule ladder sets the target.
	a.ctl.Tracker.OnPacket(at, send, seq, payloadBytes+adapt.DefaultOverheadBytes)
}

// rtpClockHz is Opus's RTP clock rate.
const rtpClockHz = 48000

// appendFeedback appends to b the feedback message for time now (the receiver's clock): the
// arrivals of the last feedbackSpan, at most maxFeedbackRecords. With none it returns b
// unchanged. It allocates nothing given b's capacity (feedbackMaxSize).
func (a *rxAdapt) appendFeedback(now time.Duration, b []byte) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := uint64(0)
	for k < maxFeedbackRecords && k < a.n && k < arrivalLogSize {
		if a.log[(a.n-1-k)%arrivalLogSize].at < now-feedbackSpan {
			break
		}
		k++
	}
	if k == 0 {
		return b
	}
	a.fb.at, a.fb.first, a.fb.n = now, a.n-k, int(k)
	for i := range k {
		a.fb.recs[i] = a.log[(a.fb.first+i)%arrivalLogSize]
	}
	return a.fb.appendBinary(b)
}

// decide runs the receive-side controller at now (the receiver's clock) with the latest RTT
// (0: none) and moves the jitter target. No-op before the first arrival or without a controller.
func (a *rxAdapt) decide(now, rtt time.Duration) {
	if a.ctl == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n == 0 {
		return
	}
	a.ctl.Tracker.OnRTT(now, rtt)
	a.last = a.ctl.Decide(now)
	a.trusted = a.ctl.LastPrediction().Trusted()
	a.decisions++
	a.target.Store(int64(a.last.JitterTarget))
}

// policy is the jitter buffer's target policy under adaptation: the decided target plus one
// playout chunk (a Pull decodes its whole chunk when it starts), as bench.RunAdaptive plays.
func (a *rxAdapt) policy(e jitter.Estimate) time.Duration {
	return time.Duration(a.target.Load()) + e.Chunk
}

// sentRecord is a packet the sender sent: when (sender clock) and its size on the wire.
type sentRecord struct {
	at   time.Duration
	size int32
	seq  uint16
	ok   bool
}

// txAdapt is the send side of the adaptation: a controller whose tracker sees the peer's view
// of our packets (arrival feedback matched to our send times and sizes), deciding the send
// settings every decideEvery. Its clock is the sender's (now since base); the peer's arrival
// times are mapped onto it with the least (arrival of a feedback message − the peer's clock
// when it was made) seen, which is the clock offset plus the least reverse delay: a constant,
// which the one-way delays above their minimum cancel. mu guards everything.
type txAdapt struct {
	mu   sync.Mutex
	ctl  *adapt.Controller
	now  func() time.Time
	base time.Time

	sent     [sentLogSize]sentRecord // by sequence number % sentLogSize
	lastSend time.Duration
	sending  bool

	fb          feedback // scratch for onFeedback
	next        uint64   // number of the next arrival to take
	offset      time.Duration
	haveFB      bool
	reportAt    time.Duration // the latest feedback's making, mapped onto our clock
	reportLocal time.Duration // when it arrived
	decidedAt   time.Duration

	applied adapt.Settings // send settings in force (JitterTarget unused)
	// overridden is set by Call.Tune: the settings in force are not applied's any more.
	overridden atomic.Bool
	decisions  uint64
	changes    uint64
	last       adapt.Decision
	pred       adapt.Prediction
}

func newTxAdapt(s *settings) (*txAdapt, error) {
	ctl, err := newController(s)
	if err != nil {
		return nil, err
	}
	a := &txAdapt{ctl: ctl, now: s.Now, base: s.Now()}
	a.applied = adapt.Settings{
		BitrateBps: s.codec.BitrateBps, Frame: s.Frame, FEC: s.codec.FEC, LossHint: s.codec.LossHint, REDDepth: s.REDDepth,
	}
	a.last.Settings = ctl.Policy.Current()
	return a, nil
}

func (a *txAdapt) clock() time.Duration { return a.now().Sub(a.base) }

// onSend records a packet sent with payloadBytes. It allocates nothing.
func (a *txAdapt) onSend(seq uint16, payloadBytes int) {
	at := a.clock()
	size := payloadBytes + adapt.DefaultOverheadBytes
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sent[seq%sentLogSize] = sentRecord{at: at, size: int32(size), seq: seq, ok: true}
	a.ctl.Tracker.OnSend(at, size)
	a.lastSend, a.sending = at, true
}

// onFeedback takes one arrival feedback message from the peer: each arrival not taken yet,
// matched by sequence number to the packet we sent, goes to the tracker. Malformed messages are
// dropped. It allocates nothing.
func (a *txAdapt) onFeedback(b []byte) {
	arrived := a.clock()
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.fb.unmarshal(b); err != nil {
		return
	}
	if off := arrived - a.fb.at; !a.haveFB || off < a.offset {
		a.offset = off
	}
	a.haveFB = true
	for i, r := range a.fb.recs[:a.fb.n] {
		if a.fb.first+uint64(i) < a.next {
			continue // taken from an earlier message
		}
		s := a.sent[r.seq%sentLogSize]
		if !s.ok || s.seq != r.seq {
			continue
		}
		a.ctl.Tracker.OnPacket(r.at+a.offset, s.at, r.seq, int(s.size))
	}
	a.next = max(a.next, a.fb.first+uint64(a.fb.n))
	if at := a.fb.at + a.offset; at >= a.reportAt {
		a.reportAt, a.reportLocal = at, arrived
	}
}

// decide runs the send-side controller with the latest RTT (0: none) and returns the Tuning to
// apply when the decided send settings differ from those in force. It decides only once
// feedback has arrived and while packets are being sent. The time given to the controller is
// the peer's view as of its latest feedback (arrivals up to it are known; a later time would
// show the feedback interval as a delivery gap), advanced by the time since it arrived beyond
// feedbackStale while we keep sending: a path that stops delivering shows as a growing gap.
func (a *txAdapt) decide(rtt time.Duration) (Tuning, bool) {
	now := a.clock()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ctl.Tracker.OnRTT(now, rtt)
	if !a.haveFB || !a.sending || now-a.lastSend > idleAfter {
		return Tuning{}, false
	}
	ahead := max(now-a.reportLocal-feedbackStale, 0)
	if now-a.lastSend > feedbackStale {
		ahead = 0 // we have been silent (DTX, mute): the gap in arrivals is ours
	}
	at := max(a.reportAt+ahead, a.decidedAt)
	a.decidedAt = at
	d := a.ctl.Decide(at)
	a.last, a.pred = d, a.ctl.LastPrediction()
	a.decisions++
	if d.Changed {
		a.changes++
	}
	want := d.Settings
	want.JitterTarget = 0
	if want == a.applied && !a.overridden.Swap(false) {
		return Tuning{}, false
	}
	a.applied = want
	return Tuning{
		BitrateBps: want.BitrateBps, LossHint: want.LossHint, NoFEC: !want.FEC, Frame: want.Frame,
		REDDepth: want.REDDepth, REDLowRateBps: want.REDLowRateBps,
	}, true
}

// onMessage dispatches a data-channel message from the peer: arrival feedback to the send
// side of the adaptation, anything else to the receiver's reports.
func (c *Call) onMessage(b []byte) {
	if len(b) == 0 || b[0] != feedbackVersion {
		c.recv.onReport(b)
		return
	}
	c.recv.touch()
	if c.send.ad != nil {
		c.send.ad.onFeedback(b)
	}
}

// adaptLoop runs the adaptation until the call ends: every feedbackInterval it sends this
// side's arrival feedback on dc (always, so that a peer that adapts can), and unless
// Config.NoAdapt every decideEvery it decides the send settings (applied through Tune) and the
// jitter target.
func (c *Call) adaptLoop(dc *webrtc.DataChannel) {
	t := time.NewTicker(adaptTick)
	defer t.Stop()
	var buf [feedbackMaxSize]byte
	var lastFeedback, lastDecide, lastRTT time.Time
	var rtt time.Duration
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		now := c.s.Now()
		if now.Sub(lastFeedback) >= feedbackInterval-adaptTick/2 {
			lastFeedback = now
			if b := c.recv.ad.appendFeedback(c.recv.clock(), buf[:0]); len(b) > 0 {
				if err := dc.Send(b); err != nil && c.ctx.Err() == nil {
					c.log.Debug("arrival feedback not sent", "err", err)
				}
			}
		}
		if c.s.NoAdapt {
			continue
		}
		if now.Sub(lastRTT) >= rttEvery-adaptTick/2 {
			lastRTT = now
			if r := c.pionRTT(); r > 0 {
				rtt = r
			}
		}
		if now.Sub(lastDecide) < decideEvery-adaptTick/2 {
			continue
		}
		lastDecide = now
		if tu, ok := c.send.ad.decide(rtt); ok {
			if err := c.tune(tu); err != nil {
				c.log.Warn("adaptation: tuning refused", "tuning", tu, "err", err)
			}
		}
		c.recv.ad.decide(c.recv.clock(), rtt)
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

// adaptStats is the Adapt section of Stats.
func (c *Call) adaptStats() AdaptStats {
	st := AdaptStats{Enabled: !c.s.NoAdapt}
	if a := c.send.ad; a != nil {
		a.mu.Lock()
		st.Decisions, st.Changes = a.decisions, a.changes
		d, p := a.last, a.pred
		a.mu.Unlock()
		st.Trusted, st.Rung = st.Decisions > 0 && !d.Fallback, d.Rung
		st.BitrateBps, st.Frame, st.FEC, st.LossHint = d.BitrateBps, d.Frame, d.FEC, d.LossHint
		st.REDDepth, st.REDLowRateBps = d.REDDepth, d.REDLowRateBps
		st.WireBps, st.LimitBps, st.MOS = d.WireBps, d.LimitBps, d.Score.MOS
		st.PredictedBps, st.PredictedLoss, st.PredictedBurst = p.SustainableBps, p.Loss, p.MeanBurst
		st.PredictedDelayP95 = p.DelayP95
	}
	if a := c.recv.ad; a.ctl != nil {
		a.mu.Lock()
		st.JitterDecisions, st.JitterTrusted = a.decisions, a.trusted
		a.mu.Unlock()
		st.JitterTarget = time.Duration(a.target.Load())
	}
	return st
}
