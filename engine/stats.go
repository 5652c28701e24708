package engine

import (
	"time"

	"github.com/parley-voice/parley/adapt/emodel"
	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/engine/audio/apm"
	"github.com/parley-voice/parley/engine/jitter"
	"github.com/parley-voice/parley/engine/media"
)

// Stats is a snapshot of a call. Counters are cumulative for the call.
type Stats struct {
	State  State
	Policy Policy
	// Path is the selected ICE candidate pair (empty before connected).
	Path Path
	// Standby is the best other candidate pair the peer reached this side on within the last
	// 2.5 s (ICE keeps it checked; the call switches to it when the path fails, without an ICE
	// restart) and StandbyAge how long ago; empty when there is none.
	Standby    Path
	StandbyAge time.Duration
	// Switches counts the path switches made without an ICE restart (either side may start
	// one; the other follows); SwitchLog holds the latest 64 with their causes, oldest first.
	Switches  uint64
	SwitchLog []PathSwitch
	// ICERestarts counts the ICE restarts this side started to recover a silent path (only the
	// caller restarts).
	ICERestarts uint64
	// Connected is how long the call has been connected (zero before).
	Connected time.Duration
	// RTT is the round-trip time of the selected path, from ICE's consent checks (one a
	// second); zero when unknown.
	RTT time.Duration

	Send SendStats
	// Receive are the local jitter buffer's counters (webrtc-stats names).
	Receive jitter.Stats
	// Remote is the latest receiver report from the peer (how our audio arrives there) and
	// RemoteAge how old it is; RemoteAge is zero when none arrived yet.
	Remote    ReceiverReport
	RemoteAge time.Duration
	// MOS is the E-model estimate (ITU-T G.107.1, wideband scale; emodel.ScoreCall, the scale
	// of Adapt.MOS and of the bench) of the audio the peer receives, from its reports and the
	// RTT; zero until the first report.
	MOS float64
	// Adapt is the network adaptation's state (see Config.NoAdapt).
	Adapt AdaptStats
	// Processing is the microphone processing's state (Config.EchoCancel, NoiseSuppress,
	// GainControl): which stages are on, frames processed, webrtc's echo metrics. Zero when
	// the call processes nothing.
	Processing apm.Stats

	// LocalCandidates are the types of the candidates this side gathered and sent ("host udp",
	// "srflx udp", "relay udp", ...); RemoteCandidates those received from the peer.
	LocalCandidates, RemoteCandidates []string

	// Trust is what the key-continuity store said of the peer (zero without a Store), and
	// Verified whether Verify was called.
	Trust    e2ee.TrustStatus
	Verified bool
}

// SendStats counts the send pipeline.
type SendStats struct {
	// Settings are the send settings in force; REDDepth and REDLowRateBps are zero unless RED
	// was negotiated.
	media.Settings
	FramesEncoded uint64 // frames taken from the source
	FramesDTX     uint64 // frames not sent: silence under DTX
	PacketsSent   uint64
	BytesSent     uint64 // RTP payload bytes (Opus, or RED with its copies)
	RED           bool   // RED was negotiated and is in use
	SourceEnded   bool   // the Source returned io.EOF or failed; silence is sent since
}

// AdaptStats is the network adaptation's state. The send side decides every 500 ms once the
// peer's arrival feedback flows (and while audio is being sent); with Config.AdaptJitter the
// receive side sets the jitter-buffer target every 500 ms once packets arrive. Send settings are the last decision's,
// applied from the next frame (SendStats shows those in force).
type AdaptStats struct {
	Enabled bool // adaptation is on (Config.NoAdapt not set)
	// Decisions counts the send side's decisions, Changes those that changed the settings.
	Decisions, Changes uint64
	// Trusted is set when the last decision used the learned predictor's forecast; otherwise
	// the forecast was not trusted (warm-up, features out of range, large residuals) and the
	// decision used the measured conditions alone (with the legacy decision: the rule ladder,
	// at rung Rung, adapt.RungPlain ... adapt.RungFloor).
	Trusted bool
	Rung    int

	// Settings are the decided send settings.
	media.Settings

	// WireBps is the decided settings' wire rate (payload and headers, bit/s), LimitBps the
	// rate budget (adapt.Decision.LimitBps) and MOS the decision's predicted quality.
	WireBps, LimitBps, MOS float64
	// PredictedBps is the model's sustainable wire rate for the next 2 s, PredictedLoss and
	// PredictedBurst the loss fraction and mean loss-run length (packets), PredictedDelayP95
	// the 95th percentile of the one-way delay above its base, for the next second.
	PredictedBps, PredictedLoss, PredictedBurst float64
	PredictedDelayP95                           time.Duration

	// JitterTarget is the receive side's decided target delay above the base delay (the
	// buffer adds one 10 ms playout chunk), JitterDecisions how many decisions set it, and
	// JitterTrusted whether the last came from the model. Zero without Config.AdaptJitter.
	JitterTarget    time.Duration
	JitterDecisions uint64
	JitterTrusted   bool
}

// Stats returns a snapshot of the call. It is cheap enough to call a few times a second.
func (c *Call) Stats() Stats {
	c.mu.Lock()
	st := Stats{
		State: c.state, Policy: c.s.Policy, Path: c.path, Trust: c.trust, Verified: c.verified,
		LocalCandidates:  append([]string(nil), c.localCands...),
		RemoteCandidates: append([]string(nil), c.remoteCands...),
	}
	if !c.connectedAt.IsZero() {
		st.Connected = c.s.Now().Sub(c.connectedAt)
	}
	pc := c.pc
	c.mu.Unlock()
	st.ICERestarts = c.restarts.Load()
	st.SwitchLog, st.Switches = c.paths.history()
	if st.State == StateConnected || st.State == StateReconnecting {
		if p, age, ok := c.paths.standby(); ok {
			st.Standby, st.StandbyAge = p, age
		}
	}

	snd := c.send
	st.Send = SendStats{
		Settings:      snd.inForce(),
		FramesEncoded: snd.framesEncoded.Load(), FramesDTX: snd.framesDTX.Load(),
		PacketsSent: snd.packetsSent.Load(), BytesSent: snd.bytesSent.Load(),
		SourceEnded: snd.sourceDone(),
	}
	if _, ok := snd.track.REDPayloadType(); ok {
		st.Send.RED = st.Send.REDDepth > 0
	} else {
		st.Send.REDDepth = 0
	}
	if !st.Send.RED {
		st.Send.REDLowRateBps = 0
	}
	st.Adapt = c.adaptStats()
	if c.proc != nil {
		st.Processing = c.proc.Stats()
	}
	st.Receive = c.recv.stats()
	var at time.Time
	st.Remote, at = c.recv.remoteReport()
	if !at.IsZero() {
		st.RemoteAge = c.s.Now().Sub(at)
	}
	if pc != nil && st.State != StateEnded {
		if p := selectedPair(pc); p != nil {
			st.Path = pathOf(p)
		}
		if c.recv.rtpRead.Load() {
			st.RTT, st.Path.RelayProtocol = fromPion(pc, st.Path)
			c.mu.Lock()
			c.lastRTT = st.RTT
			c.mu.Unlock()
		}
	} else {
		c.mu.Lock()
		st.RTT = c.lastRTT // pion's stats are gone with the connection
		c.mu.Unlock()
	}
	if !at.IsZero() {
		st.MOS = c.mos(st)
	}
	return st
}

// mos estimates the peer's listening quality with the one call score (emodel.ScoreCall):
// mouth-to-ear delay from half the RTT, the peer's jitter-buffer delay and the frame
// (emodel.MouthToEar); loss is what the peer had to conceal (its burstiness is not reported:
// random).
func (c *Call) mos(st Stats) float64 {
	loss := 0.0
	if st.Remote.TotalSamples > 0 {
		loss = min(1, float64(st.Remote.ConcealedSamples)/float64(st.Remote.TotalSamples))
	}
	res, err := emodel.ScoreCall(emodel.Call{
		BitrateBps: st.Send.BitrateBps, Frame: st.Send.Frame, Loss: loss,
		MouthToEar: emodel.MouthToEar(st.RTT/2, st.Remote.BufferDelay, st.Send.Frame),
	})
	if err != nil {
		return 0
	}
	return res.MOS
}
