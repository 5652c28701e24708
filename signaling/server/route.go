package server

import (
	"encoding/json"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling"
)

// onRoute handles a broker message for a user with sessions on this node. It runs in the
// publisher's goroutine (memory broker) or the broker client's (NATS) and holds no lock across
// calls into sessions.
func (s *Server) onRoute(data []byte) []byte {
	var r route
	if err := json.Unmarshal(data, &r); err != nil {
		s.log.Warn("signaling: bad route message", "err", err)
		return nil
	}
	sessions := s.localSessions(r.To, r.ToDevice)
	switch r.Kind {
	case signaling.TypeInvite:
		var rep inviteReply
		if len(sessions) != 0 && !s.allowInbound(r.To) {
			s.m.reject("callee_invites")
			rep.Busy = len(sessions)
			sessions = nil
		}
		for _, ss := range sessions {
			switch ss.ring(&r) {
			case ringRang:
				rep.Rang++
			case ringBusy:
				rep.Busy++
			}
		}
		b, _ := json.Marshal(rep)
		return b
	case signaling.TypeAccept:
		for _, ss := range sessions {
			ss.onAccept(&r)
		}
	case kindAnswered:
		for _, ss := range sessions {
			ss.onAnswered(&r)
		}
	case signaling.TypeDecline:
		for _, ss := range sessions {
			ss.onDecline(&r)
		}
	case signaling.TypeCancel:
		for _, ss := range sessions {
			ss.onPeerEnded(&r, &signaling.Frame{Type: signaling.TypeCancelled, Call: r.Call, Reason: r.Reason}, false)
		}
	case signaling.TypeHangup:
		for _, ss := range sessions {
			ss.onPeerEnded(&r, &signaling.Frame{Type: signaling.TypeHangup, Call: r.Call}, true)
		}
	case signaling.TypeRelay:
		for _, ss := range sessions {
			ss.onRelay(&r)
		}
	}
	return nil
}

// allowInbound spends one of user's incoming-invite tokens (Limits.CalleeInvitesPerSec).
func (s *Server) allowInbound(user string) bool {
	s.mu.Lock()
	ue := s.users[user]
	s.mu.Unlock()
	return ue == nil || ue.inbound.AllowN(s.clock.Now(), 1)
}

type ringResult uint8

const (
	ringNone ringResult = iota
	ringRang
	ringBusy
)

// ring offers an incoming call to this device.
func (s *session) ring(r *route) ringResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return ringNone
	}
	ringing := 0
	for _, l := range s.legs {
		if l.active || l.role == roleCaller {
			return ringBusy
		}
		ringing++
	}
	if ringing >= s.srv.cfg.Limits.MaxRinging || !s.roomLocked(len(r.Data)) {
		s.srv.m.reject("ring_limit")
		return ringBusy
	}
	if s.legs == nil {
		s.legs = make(map[e2ee.CallID]*leg)
	}
	if _, dup := s.legs[r.Call]; dup {
		return ringNone
	}
	s.legs[r.Call] = &leg{role: roleCallee, peer: r.From, peerDevice: r.FromDevice}
	s.deliverLocked(&signaling.Frame{Type: signaling.TypeIncoming, Call: r.Call, User: r.From, Device: r.FromDevice, Key: r.FromKey, Data: r.Data})
	return ringRang
}

// onAccept is the caller's node deciding the race of accepts: the first wins, later ones are
// told the call was answered elsewhere.
func (s *session) onAccept(r *route) {
	s.mu.Lock()
	l := s.legs[r.Call]
	won := l != nil && l.role == roleCaller && !l.active && l.peer == r.From
	if won {
		l.active, l.peerDevice = true, r.FromDevice
		if l.timer != nil {
			l.timer.Stop()
			l.timer = nil
		}
	}
	s.mu.Unlock()
	if won {
		s.srv.m.answered.Add(1)
		s.outcome("answered", r.Call, r.From)
		// The callee's leg must be active before the caller hears "accepted": the caller's
		// first relay (the e2ee Reveal) follows at once, and a relay reaching an inactive
		// leg is dropped. The broker keeps one publisher's messages to one user in order.
		a := s.route(kindAnswered, r.Call, r.From, "")
		a.Winner = r.FromDevice
		_ = s.publish(a)
		s.mu.Lock()
		if s.legs[r.Call] == l {
			s.deliverLocked(&signaling.Frame{Type: signaling.TypeAccepted, Call: r.Call, Device: r.FromDevice, Data: r.Data})
		}
		s.mu.Unlock()
		return
	}
	// Too late (answered elsewhere, cancelled, timed out): release that device.
	c := s.route(signaling.TypeCancel, r.Call, r.From, r.FromDevice)
	c.Reason = signaling.ReasonAnsweredElsewhere
	if l == nil || !l.active {
		c.Reason = signaling.ReasonCancel
	}
	_ = s.publish(c)
}

// onAnswered: the winner is connected, the other devices stop ringing.
func (s *session) onAnswered(r *route) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.legs[r.Call]
	if l == nil || l.role != roleCallee || l.peer != r.From || l.peerDevice != r.FromDevice {
		return
	}
	if s.device == r.Winner {
		l.active = true
		s.deliverLocked(&signaling.Frame{Type: signaling.TypeConnected, Call: r.Call})
		return
	}
	delete(s.legs, r.Call)
	s.deliverLocked(&signaling.Frame{Type: signaling.TypeCancelled, Call: r.Call, Reason: signaling.ReasonAnsweredElsewhere})
}

// onDecline: the callee refused; the caller hears it and the callee's other devices stop.
func (s *session) onDecline(r *route) {
	s.mu.Lock()
	l := s.legs[r.Call]
	ok := l != nil && l.role == roleCaller && !l.active && l.peer == r.From
	if ok {
		delete(s.legs, r.Call)
		if l.timer != nil {
			l.timer.Stop()
		}
		s.deliverLocked(&signaling.Frame{Type: signaling.TypeDeclined, Call: r.Call})
	}
	s.mu.Unlock()
	if ok {
		s.outcome("declined", r.Call, r.From)
		c := s.route(signaling.TypeCancel, r.Call, r.From, "")
		c.Reason = signaling.ReasonDeclinedElsewhere
		_ = s.publish(c)
	}
}

// onPeerEnded handles cancel (callee side; any matching leg) and hangup (either side; the
// leg must be active and name the sender's device).
func (s *session) onPeerEnded(r *route, f *signaling.Frame, hangup bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.legs[r.Call]
	if l == nil || l.peer != r.From {
		return
	}
	if hangup {
		if !l.active || l.peerDevice != r.FromDevice {
			return
		}
	} else if l.role != roleCallee || l.peerDevice != r.FromDevice {
		return
	}
	delete(s.legs, r.Call)
	if l.timer != nil {
		l.timer.Stop()
	}
	s.deliverLocked(f)
}

// onRelay hands a peer's opaque frame to this device if it is the peer's partner in an
// answered call.
func (s *session) onRelay(r *route) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.legs[r.Call]
	if l == nil || !l.active || l.peer != r.From || l.peerDevice != r.FromDevice {
		s.srv.m.reject("relay_no_call")
		return
	}
	s.srv.m.relayed.Add(1)
	s.deliverLocked(&signaling.Frame{Type: signaling.TypeRelay, Call: r.Call, Data: r.Data})
}
