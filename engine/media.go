package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"
)

// reportInterval is how often each side sends a receiver report on the data channel.
const reportInterval = 250 * time.Millisecond

// newPeerConnection builds the call's PeerConnection: the audio transceiver (caller side; the
// callee adds its track when the offer arrives), the negotiated receiver-report data channel,
// and the callbacks that drive the call's state.
func (c *Call) newPeerConnection() (*webrtc.PeerConnection, error) {
	api, err := newAPI(c.s, c.paths.onBindingRequest)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMedia, err)
	}
	pc, err := api.NewPeerConnection(rtcConfig(c.s))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMedia, err)
	}
	c.mu.Lock()
	if c.state == StateEnded {
		c.mu.Unlock()
		_ = pc.Close()
		return nil, fmt.Errorf("%w: ended during setup", ErrEnded)
	}
	c.pc = pc
	c.mu.Unlock()

	pc.OnICECandidate(c.onCandidate)
	pc.OnConnectionStateChange(c.onConnectionState)
	pc.SCTP().Transport().ICETransport().OnSelectedCandidatePairChange(c.onPath)
	pc.OnTrack(func(tr *webrtc.TrackRemote, rc *webrtc.RTPReceiver) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.spawnLocked(func() { c.recv.readLoop(tr, rc) })
		c.spawnLocked(func() { drainRTCPReceiver(rc) })
		if !c.playing {
			c.playing = true
			c.spawnLocked(func() { c.recv.playLoop(c.ended) })
		}
	})

	negotiated, id := true, uint16(0)
	ordered, retransmits := false, uint16(0)
	dc, err := pc.CreateDataChannel("reports", &webrtc.DataChannelInit{
		Negotiated: &negotiated, ID: &id, Ordered: &ordered, MaxRetransmits: &retransmits,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: data channel: %w", ErrMedia, err)
	}
	dc.OnOpen(func() { c.spawn(func() { c.reportLoop(dc) }); c.spawn(func() { c.adaptLoop(dc) }) })
	dc.OnMessage(func(m webrtc.DataChannelMessage) { c.onMessage(m.Data) })

	if c.caller {
		tr, err := pc.AddTransceiverFromTrack(c.send.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
		if err != nil {
			return nil, fmt.Errorf("%w: transceiver: %w", ErrMedia, err)
		}
		c.spawn(func() { drainRTCP(tr.Sender()) })
	}
	return pc, nil
}

// onConnectionState follows the PeerConnection: the first connected state starts sending;
// failure ends the call. Later interruptions are tracked by the watchdog, which sees
// packets rather than ICE's consent checks.
func (c *Call) onConnectionState(st webrtc.PeerConnectionState) {
	c.log.Debug("peer connection", "state", st)
	switch st {
	case webrtc.PeerConnectionStateConnected:
		c.mu.Lock()
		if c.state == StateEnded {
			c.mu.Unlock()
			return
		}
		if c.connectedAt.IsZero() {
			c.connectedAt = c.s.Now()
		}
		if p, err := c.pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair(); err == nil && p != nil {
			c.path = pathOf(p)
			c.paths.selected(c.path)
		}
		if !c.sending {
			c.sending = true
			c.spawnLocked(func() { c.send.loop(c.ended) })
		}
		c.setStateLocked(StateConnected, false)
		c.mu.Unlock()
	case webrtc.PeerConnectionStateClosed:
		// We did not close it (end runs first when we do): the peer closed DTLS deliberately
		// (close_notify; a crashed peer sends none), usually just before its sealed hang-up
		// arrives by the slower signaling path.
		c.end(ReasonRemoteHangup, nil)
	case webrtc.PeerConnectionStateFailed:
		c.mu.Lock()
		connected := !c.connectedAt.IsZero()
		c.mu.Unlock()
		if connected {
			c.end(ReasonPeerLost, fmt.Errorf("engine: ICE failed"))
		} else {
			c.end(ReasonFailed, fmt.Errorf("engine: no working network path"))
		}
	}
}

// onPath records a new selected candidate pair and reports a switch to a relay.
func (c *Call) onPath(p *webrtc.ICECandidatePair) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.path
	c.path = pathOf(p)
	c.paths.selected(c.path)
	c.log.Info("path", "path", c.path)
	if c.path.Relayed() && !old.Relayed() && c.state == StateConnected {
		c.setStateLocked(StateConnected, true)
	}
}

// reportLoop sends a receiver report every reportInterval until the call ends.
func (c *Call) reportLoop(dc *webrtc.DataChannel) {
	t := time.NewTicker(reportInterval)
	defer t.Stop()
	var buf [reportSize]byte
	for {
		select {
		case <-c.ended:
			return
		case <-t.C:
		}
		r := c.recv.report()
		if err := dc.Send(r.appendBinary(buf[:0])); err != nil && !c.hasEnded() {
			c.log.Debug("report not sent", "err", err)
		}
	}
}

// drainRTCP reads a sender's RTCP so the interceptors (RTCP reports) see it; pion
// processes RTCP only when it is read. It returns when the connection closes.
func drainRTCP(s *webrtc.RTPSender) {
	var buf [1500]byte
	for {
		if _, _, err := s.Read(buf[:]); err != nil {
			return
		}
	}
}

func drainRTCPReceiver(r *webrtc.RTPReceiver) {
	var buf [1500]byte
	for {
		if _, _, err := r.Read(buf[:]); err != nil {
			return
		}
	}
}

// candidateKind reduces an SDP candidate line to "type protocol", e.g. "relay udp".
func candidateKind(line string) string {
	f := strings.Fields(line)
	typ, proto := "?", "?"
	if len(f) > 2 {
		proto = strings.ToLower(f[2])
	}
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "typ" {
			typ = f[i+1]
		}
	}
	return typ + " " + proto
}
