package server

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling"
)

// Route kinds between nodes besides the client frame types they mirror.
const (
	kindAnswered signaling.Type = "answered" // to the callee user: Winner accepted
)

// route is a message between nodes, published on the subject of user To. Nodes trust each
// other; the checks against spoofing happen where a client's frame enters (the sender's leg
// must exist) and where it leaves (the receiver's leg must name the sender).
type route struct {
	Kind       signaling.Type      `json:"k"`
	Call       e2ee.CallID         `json:"c"`
	From       string              `json:"f"`
	FromDevice string              `json:"fd"`
	FromKey    e2ee.PublicIdentity `json:"fk,omitzero"`
	To         string              `json:"t"`
	ToDevice   string              `json:"td,omitempty"`
	Data       []byte              `json:"d,omitempty"`
	Reason     string              `json:"r,omitempty"`
	Winner     string              `json:"w,omitempty"`
}

// inviteReply is a node's answer to an invite request.
type inviteReply struct {
	Rang int `json:"rang"`
	Busy int `json:"busy"`
}

type role uint8

const (
	roleCaller role = iota + 1
	roleCallee
)

// leg is one session's view of one call. Guarded by the session's mu.
type leg struct {
	role       role
	peer       string // the other user
	peerDevice string // caller side: empty until accepted
	active     bool   // answered
	accepting  bool   // callee side: accept sent, waiting for the caller's node
	timer      Timer  // caller side: ring timeout
}

// publish sends r to r.To's subject with the broker timeout.
func (s *session) publish(r *route) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.srv.cfg.BrokerTimeout)
	defer cancel()
	return s.srv.broker.Publish(ctx, userSubject(r.To), b)
}

func (s *session) route(kind signaling.Type, call e2ee.CallID, to, toDevice string) *route {
	return &route{Kind: kind, Call: call, From: s.ue.name, FromDevice: s.device, To: to, ToDevice: toDevice}
}

// publishOrFail publishes r and tells the client with an error frame when routing fails.
func (s *session) publishOrFail(f *signaling.Frame, r *route) {
	if err := s.publish(r); err != nil {
		s.srv.log.Warn("signaling: route failed", "kind", r.Kind, "err", err)
		s.reject(f, signaling.CodeRoute, "routing failed")
	}
}

// invite places a call: ring every device of the callee, via the broker.
func (s *session) invite(f *signaling.Frame) {
	if f.User == s.ue.name {
		s.reject(f, signaling.CodeBadRequest, "cannot call yourself")
		return
	}
	s.mu.Lock()
	if s.legs == nil {
		s.legs = make(map[e2ee.CallID]*leg)
	}
	if _, dup := s.legs[f.Call]; dup {
		s.mu.Unlock()
		s.reject(f, signaling.CodeState, "call ID in use")
		return
	}
	l := &leg{role: roleCaller, peer: f.User}
	s.legs[f.Call] = l
	s.mu.Unlock()
	s.srv.m.invites.Add(1)

	r := s.route(signaling.TypeInvite, f.Call, f.User, "")
	r.FromKey, r.Data = s.key, f.Data
	b, _ := json.Marshal(r)
	ctx, cancel := context.WithTimeout(context.Background(), s.srv.cfg.BrokerTimeout)
	raw, err := s.srv.broker.Request(ctx, userSubject(f.User), b)
	cancel()
	var rep inviteReply
	if err == nil {
		err = json.Unmarshal(raw, &rep)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.legs[f.Call] != l || l.active {
		return // cancelled or answered meanwhile
	}
	out := &signaling.Frame{Call: f.Call}
	switch {
	case errors.Is(err, ErrNoResponders) || err == nil && rep.Rang == 0 && rep.Busy == 0:
		out.Type = signaling.TypeUnavailable
		s.outcome("unavailable", f.Call, f.User)
	case err != nil:
		s.srv.log.Warn("signaling: invite routing failed", "err", err)
		out.Type, out.Code, out.Reason = signaling.TypeError, signaling.CodeRoute, "could not reach the callee's node"
		s.outcome("route_error", f.Call, f.User)
	case rep.Rang == 0:
		out.Type = signaling.TypeBusy
		s.outcome("busy", f.Call, f.User)
	default:
		l.timer = s.srv.clock.AfterFunc(s.srv.cfg.RingTimeout, func() { s.ringTimeout(f.Call, l) })
		s.deliverLocked(&signaling.Frame{Type: signaling.TypeRinging, Call: f.Call})
		return
	}
	delete(s.legs, f.Call)
	s.deliverLocked(out)
}

// outcome counts how a call placed from this session ended before it was answered (or that it
// was answered) and logs it in one line at Info: routing metadata the server has anyway, never
// the call's content.
func (s *session) outcome(outcome string, call e2ee.CallID, callee string) {
	if outcome != "answered" {
		s.srv.m.call(outcome)
	}
	s.srv.log.Info("signaling: call", "outcome", outcome, "caller", s.ue.name, "callee", callee, "call", call.String()[:8])
}

// ringTimeout ends an unanswered call: the caller hears "timeout", the callee's devices stop.
func (s *session) ringTimeout(call e2ee.CallID, l *leg) {
	s.mu.Lock()
	if s.legs[call] != l || l.active {
		s.mu.Unlock()
		return
	}
	delete(s.legs, call)
	s.deliverLocked(&signaling.Frame{Type: signaling.TypeTimeout, Call: call})
	s.mu.Unlock()
	s.outcome("timeout", call, l.peer)
	r := s.route(signaling.TypeCancel, call, l.peer, "")
	r.Reason = signaling.ReasonTimeout
	_ = s.publish(r)
}

// takeLeg returns the session's leg for call if ok(leg) holds; with del it is also removed.
func (s *session) takeLeg(call e2ee.CallID, del bool, ok func(*leg) bool) *leg {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.legs[call]
	if l == nil || !ok(l) {
		return nil
	}
	if del {
		delete(s.legs, call)
		if l.timer != nil {
			l.timer.Stop()
		}
	}
	return l
}

func (s *session) accept(f *signaling.Frame) {
	var peer, peerDev string
	l := s.takeLeg(f.Call, false, func(l *leg) bool {
		if l.role != roleCallee || l.active || l.accepting {
			return false
		}
		l.accepting, peer, peerDev = true, l.peer, l.peerDevice
		return true
	})
	if l == nil {
		s.reject(f, signaling.CodeState, "no such ringing call")
		return
	}
	r := s.route(signaling.TypeAccept, f.Call, peer, peerDev)
	r.Data = f.Data
	s.publishOrFail(f, r)
}

func (s *session) decline(f *signaling.Frame) {
	l := s.takeLeg(f.Call, true, func(l *leg) bool { return l.role == roleCallee && !l.active })
	if l == nil {
		s.reject(f, signaling.CodeState, "no such ringing call")
		return
	}
	s.publishOrFail(f, s.route(signaling.TypeDecline, f.Call, l.peer, l.peerDevice))
}

func (s *session) cancel(f *signaling.Frame) {
	l := s.takeLeg(f.Call, true, func(l *leg) bool { return l.role == roleCaller && !l.active })
	if l == nil {
		s.reject(f, signaling.CodeState, "no such outgoing ringing call")
		return
	}
	s.outcome("cancel", f.Call, l.peer)
	r := s.route(signaling.TypeCancel, f.Call, l.peer, "")
	r.Reason = signaling.ReasonCancel
	s.publishOrFail(f, r)
}

func (s *session) hangup(f *signaling.Frame) {
	l := s.takeLeg(f.Call, false, func(l *leg) bool { return true })
	switch {
	case l == nil:
		s.reject(f, signaling.CodeState, "no such call")
	case !l.active && l.role == roleCaller:
		s.cancel(f)
	case !l.active:
		s.decline(f)
	default:
		if l = s.takeLeg(f.Call, true, func(x *leg) bool { return x == l }); l != nil {
			s.srv.log.Info("signaling: call ended", "by", s.ue.name, "peer", l.peer, "call", f.Call.String()[:8])
			s.publishOrFail(f, s.route(signaling.TypeHangup, f.Call, l.peer, l.peerDevice))
		}
	}
}

func (s *session) relay(f *signaling.Frame) {
	var peer, peerDev string
	l := s.takeLeg(f.Call, false, func(l *leg) bool {
		peer, peerDev = l.peer, l.peerDevice
		return l.active
	})
	if l == nil {
		s.reject(f, signaling.CodeState, "no such answered call")
		return
	}
	r := s.route(signaling.TypeRelay, f.Call, peer, peerDev)
	r.Data = f.Data
	s.publishOrFail(f, r)
}

// endLeg tells the peer that this session's leg ended (session expiry).
func (s *session) endLeg(call e2ee.CallID, l *leg) {
	switch {
	case l.active:
		_ = s.publish(s.route(signaling.TypeHangup, call, l.peer, l.peerDevice))
	case l.role == roleCaller:
		r := s.route(signaling.TypeCancel, call, l.peer, "")
		r.Reason = signaling.ReasonCancel
		_ = s.publish(r)
	}
}

// brokerDown ends every call on this node that is still being set up, telling each client
// with an error frame (code "route"): with the broker gone the answer would never come, and a
// caller must hear an error, not ring forever. Answered calls continue; their relays fail
// one by one until the broker is back.
func (s *Server) brokerDown(err error) {
	s.log.Warn("signaling: broker connection lost", "err", err)
	for _, ss := range s.allSessions() {
		ss.mu.Lock()
		for id, l := range ss.legs {
			if l.active {
				continue
			}
			delete(ss.legs, id)
			if l.timer != nil {
				l.timer.Stop()
			}
			s.m.call("route_error")
			ss.deliverLocked(&signaling.Frame{Type: signaling.TypeError, Call: id, Code: signaling.CodeRoute, Reason: "signaling cluster unreachable"})
		}
		ss.mu.Unlock()
	}
}
