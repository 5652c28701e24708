package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/parley-voice/parley/e2ee"
)

// Envelope types: the first plaintext byte of every sealed envelope.
const (
	envOffer     byte = 1 // SDP offer (caller → callee)
	envAnswer    byte = 2 // SDP answer (callee → caller)
	envCandidate byte = 3 // one ICE candidate, webrtc.ICECandidateInit as JSON
	envHangup    byte = 4 // the sender hung up; the rest is a Reason
	envRestart   byte = 5 // callee → caller: nothing arrives here, please restart ICE
)

// run drives the call: key agreement, offer/answer, then the signaling loop until the end.
// commit is nil on the caller side.
func (c *Call) run(commit *e2ee.Commit) {
	var err error
	if c.caller {
		err = c.setupCaller()
	} else {
		err = c.setupCallee(commit)
	}
	if errors.Is(err, ErrKeyChanged) {
		c.refuseKey(err)
		return
	}
	if err != nil {
		if !c.hasEnded() {
			c.fail(err)
		}
		return
	}
	c.fo.sigUp.Store(true)
	c.fo.heardPeer(c.s.Now())
	for {
		m, err := c.sig.Recv(c.life())
		if err != nil {
			c.signalingDown()
			if !c.hasEnded() {
				c.log.Warn("signaling lost; the call continues on its media path", "err", err)
			}
			return
		}
		if m.Kind == KindHangup {
			// After the agreement only a sealed hang-up ends the call. An unsealed one (a
			// server hangup, cancelled or error frame) cannot prove the peer hung up: anyone
			// who can inject into the signaling path could send it. Treat it like lost
			// signaling: the call continues on its media path and ends by the peer's sealed
			// hang-up, by ours, or as peer_lost when media stops.
			r, _ := remoteReason(m)
			c.signalingDown()
			if !c.hasEnded() { // not the clean-up hang-up behind a sealed one
				c.log.Warn("unsealed hang-up from the signaling service ignored; the call continues on its media path", "reason", r)
			}
			return
		}
		c.fo.heardPeer(c.s.Now())
		if err := c.handle(m); err != nil {
			c.fail(err)
			return
		}
	}
}

// maxRemoteCandidates bounds the ICE candidates a peer may send per session description
// (offer or answer, so ICE restarts get a fresh allowance); more are dropped. A real endpoint
// sends a handful; each one makes pion probe an address, so the cap also bounds how many
// connectivity checks a peer can direct at third parties through us.
const maxRemoteCandidates = 32

// agreementConfig is the e2ee configuration of this call.
func (c *Call) agreementConfig() e2ee.Config {
	return e2ee.Config{Identity: c.s.Identity, CallID: c.sig.CallID(), PeerIdentity: c.s.PeerIdentity, Rand: c.s.Rand}
}

// setupCaller: Commit → (ringing) → Response → Reveal, then the offer.
func (c *Call) setupCaller() error {
	ag, err := e2ee.NewCaller(c.agreementConfig())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	defer ag.Close()
	commit, err := ag.Start()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	b, err := commit.MarshalBinary()
	if err != nil {
		return err
	}
	if err := c.sendMsg(c.life(), Message{Kind: KindInvite, Data: b}); err != nil {
		return fmt.Errorf("%w: invite: %w", ErrSignal, err)
	}
	var resp e2ee.Response
	for {
		m, err := c.sig.Recv(c.life())
		if err != nil {
			return fmt.Errorf("%w: %w", ErrSignal, err)
		}
		switch m.Kind {
		case KindRinging:
			c.setState(StateRinging)
			continue
		case KindDecline, KindHangup:
			c.end(remoteReason(m))
			return nil
		case KindAccept:
			if err := resp.UnmarshalBinary(m.Data); err != nil {
				return fmt.Errorf("%w: response: %w", ErrProtocol, err)
			}
		default:
			return fmt.Errorf("%w: %s while ringing", ErrProtocol, m.Kind)
		}
		break
	}
	reveal, sess, err := ag.Finish(&resp)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	if b, err = reveal.MarshalBinary(); err != nil {
		return err
	}
	if err := c.sendMsg(c.life(), Message{Kind: KindRelay, Data: b}); err != nil {
		return fmt.Errorf("%w: reveal: %w", ErrSignal, err)
	}
	if err := c.keyed(sess); err != nil {
		return err
	}
	pc, err := c.newPeerConnection()
	if err != nil {
		return err
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fmt.Errorf("%w: offer: %w", ErrMedia, err)
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("%w: offer: %w", ErrMedia, err)
	}
	return c.sendDescription(envOffer, offer.SDP)
}

// setupCallee: Commit → Response → Reveal; the offer arrives through handle.
func (c *Call) setupCallee(commit *e2ee.Commit) error {
	ag, err := e2ee.NewCallee(c.agreementConfig())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	defer ag.Close()
	resp, err := ag.Respond(commit)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	b, err := resp.MarshalBinary()
	if err != nil {
		return err
	}
	if err := c.sendMsg(c.life(), Message{Kind: KindAccept, Data: b}); err != nil {
		return fmt.Errorf("%w: accept: %w", ErrSignal, err)
	}
	m, err := c.sig.Recv(c.life())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSignal, err)
	}
	switch m.Kind {
	case KindHangup:
		c.end(remoteReason(m)) // cancelled, answered or declined elsewhere, no answer
		return nil
	case KindRelay:
	default:
		return fmt.Errorf("%w: %s instead of the reveal", ErrProtocol, m.Kind)
	}
	var reveal e2ee.Reveal
	if err := reveal.UnmarshalBinary(m.Data); err != nil {
		return fmt.Errorf("%w: reveal: %w", ErrProtocol, err)
	}
	sess, err := ag.Finish(&reveal)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	if err := c.keyed(sess); err != nil {
		return err
	}
	_, err = c.newPeerConnection()
	return err
}

// keyed stores the session, checks key continuity and moves to StateConnecting.
func (c *Call) keyed(sess *e2ee.Session) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == StateEnded {
		_ = sess.Close()
		return context.Canceled
	}
	c.sess = sess
	if c.s.Store != nil && c.s.PeerName != "" {
		st, err := c.s.Store.Observe(c.s.PeerName, sess.Peer())
		c.trust = st
		if err != nil && !errors.Is(err, e2ee.ErrIdentityChanged) {
			c.log.Warn("key store", "err", err)
		}
		if st == e2ee.StatusChanged {
			if rec, lerr := c.s.Store.Lookup(c.s.PeerName); lerr == nil && rec.Verified {
				// Fail closed: the user verified the old key, so a new one is either a new
				// device of the peer or a man in the middle, and only the user can tell.
				c.sess = sess // the SAS stays readable
				return fmt.Errorf("%w: %w", ErrKeyChanged, err)
			}
			c.log.Warn("peer identity key changed: compare the SAS", "peer", c.s.PeerName)
		}
	}
	c.log.Info("keys agreed", "sas", sess.SAS().String())
	c.setStateLocked(StateConnecting, false)
	return nil
}

// refuseKey ends a call whose peer presented a key other than the one the user verified:
// the peer and the signaling service are told (sealed and unsealed hang-up) and the call ends
// with ReasonKeyChanged before any media flows.
func (c *Call) refuseKey(err error) {
	c.log.Warn("peer identity key differs from the verified one: call refused", "peer", c.s.PeerName, "err", err)
	sctx, cancel := context.WithTimeout(c.life(), time.Second)
	_ = c.sendSealed(sctx, envHangup, []byte(ReasonRemoteHangup))
	_ = c.sendMsg(sctx, Message{Kind: KindHangup, Reason: string(ReasonHangup)})
	cancel()
	c.end(ReasonKeyChanged, err)
}

// handle processes one signaling message after the agreement.
func (c *Call) handle(m Message) error {
	switch m.Kind {
	case KindHangup:
		c.end(remoteReason(m))
		return nil
	case KindRelay:
	default:
		c.log.Debug("ignoring signaling message", "kind", m.Kind)
		return nil
	}
	c.mu.Lock()
	sess, pc := c.sess, c.pc
	c.mu.Unlock()
	pt, err := sess.Open(nil, m.Data)
	if err != nil {
		// A replayed, reordered or forged envelope leaves the session as it was (e2ee): drop
		// it instead of ending a call someone on the signaling path wants ended.
		c.log.Warn("sealed message dropped", "err", err)
		return nil
	}
	if len(pt) == 0 {
		c.log.Warn("empty sealed message dropped")
		return nil
	}
	body := pt[1:]
	switch pt[0] {
	case envOffer:
		if c.caller {
			return fmt.Errorf("%w: offer sent to the caller", ErrProtocol)
		}
		// Hold the candidates the new description gathers until the answer is out.
		c.mu.Lock()
		renegotiation := c.descSent // an ICE restart by the caller
		c.descSent = false
		c.mu.Unlock()
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(body)}); err != nil {
			return fmt.Errorf("%w: offer: %w", ErrMedia, err)
		}
		c.mu.Lock()
		c.candsThisDesc = 0
		c.mu.Unlock()
		if !renegotiation {
			tr, err := pc.AddTrack(c.send.track)
			if err != nil {
				return fmt.Errorf("%w: add track: %w", ErrMedia, err)
			}
			c.spawn(func() { drainRTCP(tr) })
		} else {
			c.log.Info("ICE restart by the peer")
			c.paths.reset()
		}
		answer, err := pc.CreateAnswer(nil)
		if err != nil {
			return fmt.Errorf("%w: answer: %w", ErrMedia, err)
		}
		if err := pc.SetLocalDescription(answer); err != nil {
			return fmt.Errorf("%w: answer: %w", ErrMedia, err)
		}
		return c.sendDescription(envAnswer, answer.SDP)
	case envAnswer:
		if !c.caller {
			return fmt.Errorf("%w: answer sent to the callee", ErrProtocol)
		}
		if st := pc.SignalingState(); st != webrtc.SignalingStateHaveLocalOffer {
			c.log.Warn("answer ignored: no offer of ours is open", "signaling", st)
			return nil
		}
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(body)}); err != nil {
			return fmt.Errorf("%w: answer: %w", ErrMedia, err)
		}
		c.mu.Lock()
		c.candsThisDesc = 0
		c.mu.Unlock()
		c.answered()
	case envCandidate:
		var init webrtc.ICECandidateInit
		if err := json.Unmarshal(body, &init); err != nil {
			return fmt.Errorf("%w: candidate: %w", ErrProtocol, err)
		}
		c.mu.Lock()
		c.candsThisDesc++
		over := c.candsThisDesc > maxRemoteCandidates
		if !over {
			c.remoteCands = append(c.remoteCands, candidateKind(init.Candidate))
		}
		c.mu.Unlock()
		if over {
			c.log.Warn("remote candidate dropped: too many", "max", maxRemoteCandidates)
			return nil
		}
		if err := pc.AddICECandidate(init); err != nil {
			c.log.Warn("remote candidate rejected", "err", err)
		}
	case envHangup:
		c.end(ReasonRemoteHangup, nil)
	case envRestart:
		if c.caller {
			// Not from the run loop's goroutine: the restart sends the offer and its
			// candidates, which must not wait behind this handler.
			c.kickRestart("the peer hears nothing")
		}
	default:
		c.log.Debug("ignoring unknown envelope type", "type", pt[0])
	}
	return nil
}

// restartICE starts an ICE restart (caller side only, so the two sides never offer at once):
// a new offer with fresh ICE credentials, sealed like the first, then the new candidates. The
// callee answers it in handle. Media continues on the old path if it recovers meanwhile.
func (c *Call) restartICE() error {
	c.mu.Lock()
	pc := c.pc
	c.descSent = false
	c.mu.Unlock()
	if pc == nil {
		return nil
	}
	offer, err := pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		return fmt.Errorf("%w: restart offer: %w", ErrMedia, err)
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("%w: restart offer: %w", ErrMedia, err)
	}
	return c.sendDescription(envOffer, offer.SDP)
}

// sendMsg sends one unsealed message, serialised with sealed ones: the engine calls
// Signal.Send from one goroutine at a time, as the Signal contract promises.
func (c *Call) sendMsg(ctx context.Context, m Message) error {
	c.sealMu.Lock()
	defer c.sealMu.Unlock()
	return c.sig.Send(ctx, m)
}

// sendSealed seals typ ‖ body and relays it to the peer.
func (c *Call) sendSealed(ctx context.Context, typ byte, body []byte) error {
	c.sealMu.Lock()
	defer c.sealMu.Unlock()
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	pt := make([]byte, 0, 1+len(body))
	pt = append(append(pt, typ), body...)
	env, err := sess.Seal(nil, pt)
	if err != nil {
		return err
	}
	if err := c.sig.Send(ctx, Message{Kind: KindRelay, Data: env}); err != nil {
		return fmt.Errorf("%w: %w", ErrSignal, err)
	}
	return nil
}

// sendDescription sends our offer or answer, then the candidates gathered meanwhile.
func (c *Call) sendDescription(typ byte, sdp string) error {
	if err := c.sendSealed(c.life(), typ, []byte(sdp)); err != nil {
		return err
	}
	c.mu.Lock()
	c.descSent = true
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	for _, b := range pending {
		if err := c.sendSealed(c.life(), envCandidate, b); err != nil {
			return err
		}
	}
	return nil
}

// onCandidate forwards a gathered candidate, sealed, once our description is out.
func (c *Call) onCandidate(cand *webrtc.ICECandidate) {
	if cand == nil {
		return
	}
	b, err := json.Marshal(cand.ToJSON())
	if err != nil {
		return
	}
	c.mu.Lock()
	c.localCands = append(c.localCands, cand.Typ.String()+" "+cand.Protocol.String())
	if !c.descSent {
		c.pending = append(c.pending, b)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if err := c.sendSealed(c.life(), envCandidate, b); err != nil && !c.hasEnded() {
		c.log.Warn("candidate not sent", "err", err)
	}
}
