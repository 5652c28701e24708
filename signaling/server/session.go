package server

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling"
	"github.com/parley-voice/parley/signaling/internal/outbox"
)

// session is one device of one user on this node. It survives its connection for
// ResumeGrace so a client can resume without losing frames.
type session struct {
	// Immutable after newSession.
	srv     *Server
	ue      *userEntry
	device  string
	key     e2ee.PublicIdentity
	invites *rate.Limiter // per session (connection)
	msgs    *rate.Limiter
	ipKey   string    // the address the session counts against (set before it is shared)
	created time.Time // server clock

	// mu guards the following.
	mu           sync.Mutex
	c            *conn // nil while detached
	out          outbox.Outbox[*signaling.Frame]
	recv         uint64 // highest Seq received from the client
	ackSent      uint64
	grace        Timer
	closedByPeer bool // the client closed normally: no grace
	attaches     int  // connections attached so far; more than one means it resumed
	gone         bool
	overflow     bool // queue full: ending, drop further frames
	legs         map[e2ee.CallID]*leg
}

func newSession(s *Server, ue *userEntry, device string, key e2ee.PublicIdentity) *session {
	return &session{srv: s, ue: ue, device: device, key: key,
		invites: s.newLimiter(s.cfg.Limits.InvitesPerSec), msgs: s.newLimiter(s.cfg.Limits.MessagesPerSec)}
}

// attach installs c, drops what the client acknowledged (ack) and queues the welcome and every
// unacknowledged frame. It reports false if the session ended meanwhile.
func (s *session) attach(c *conn, welcome *signaling.Frame, ack uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return false
	}
	if s.grace != nil {
		s.grace.Stop()
		s.grace = nil
	}
	old := s.c
	s.attaches++
	s.c = c
	s.closedByPeer = false
	if old != nil {
		old.kill() // a new login for the same device replaces the old connection
	}
	s.out.Ack(ack)
	s.ackSent = 0
	s.writeLocked(welcome)
	s.out.Pending(func(_ uint64, f *signaling.Frame) { s.writeLocked(f) })
	return true
}

func (s *session) setClosedByClient() {
	s.mu.Lock()
	s.closedByPeer = true
	s.mu.Unlock()
}

// detach is called when c's read loop ends. The session waits ResumeGrace for the client,
// unless the client said goodbye or the server is going away.
func (s *session) detach(c *conn) {
	s.mu.Lock()
	if s.c != c || s.gone {
		s.mu.Unlock()
		return
	}
	s.c = nil
	now := s.closedByPeer
	s.mu.Unlock()
	s.srv.mu.Lock()
	draining := s.srv.draining
	s.srv.mu.Unlock()
	if now || draining {
		s.expire(true)
		return
	}
	s.mu.Lock()
	if s.c == nil && !s.gone && s.grace == nil {
		grace := s.srv.cfg.ResumeGrace
		if s.attaches < 2 && s.recv == 0 && s.srv.clock.Now().Sub(s.created) < grace {
			grace = min(grace, s.srv.cfg.NewSessionGrace) // logged in and vanished
		}
		s.grace = s.srv.clock.AfterFunc(grace, func() { s.expire(true) })
	}
	s.mu.Unlock()
}

// expire ends the session: it leaves the user table, its queue is dropped and its calls end
// (peers are told). With onlyDetached it does nothing if a connection re-attached meanwhile
// (the grace timer racing a resume).
func (s *session) expire(onlyDetached bool) {
	s.mu.Lock()
	if s.gone || (s.c != nil && onlyDetached) {
		s.mu.Unlock()
		return
	}
	s.gone = true
	if s.grace != nil {
		s.grace.Stop()
		s.grace = nil
	}
	legs := s.legs
	s.legs = nil
	c := s.c
	s.c = nil
	s.out.Reset()
	s.mu.Unlock()
	if c != nil {
		c.kill()
	}
	s.srv.removeSession(s)
	for id, l := range legs {
		if l.timer != nil {
			l.timer.Stop()
		}
		s.endLeg(id, l)
	}
}

// deliver sends f to the client: reliable frames are numbered and kept until acknowledged.
// f must not be shared with another session.
func (s *session) deliver(f *signaling.Frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliverLocked(f)
}

func (s *session) deliverLocked(f *signaling.Frame) {
	if s.gone || s.overflow {
		return
	}
	s.enqueueLocked(f)
}

// roomLocked reports whether an unsolicited frame with n bytes of data (an incoming call) fits
// in the first half of the session's unacknowledged budget; the other half is kept for the
// frames of calls in progress, so a flood of invites is refused instead of ending the session.
func (s *session) roomLocked(n int) bool {
	l := s.srv.cfg.Limits
	return !s.gone && !s.overflow && s.out.Len() < l.MaxUnacked/2 && s.out.Bytes()+n <= l.MaxUnackedBytes/2
}

func (s *session) enqueueLocked(f *signaling.Frame) {
	f.V = signaling.Version
	if f.Type.Reliable() {
		if s.out.Len() >= s.srv.cfg.Limits.MaxUnacked || s.out.Bytes()+len(f.Data) > s.srv.cfg.Limits.MaxUnackedBytes {
			s.srv.m.reject("queue_full")
			s.srv.log.Info("signaling: session queue full, ending it", "user", s.ue.name, "device", s.device)
			s.overflow = true
			go s.expire(false) // not under s.mu
			return
		}
		f.Seq = s.out.Add(f, len(f.Data))
	}
	s.writeLocked(f)
}

// sendUnreliable sends f without numbering (errors about the connection itself).
func (s *session) sendUnreliable(f *signaling.Frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f.V = signaling.Version
	s.writeLocked(f)
}

// writeLocked encodes f with the current ack and queues it on the live connection.
func (s *session) writeLocked(f *signaling.Frame) {
	if s.c == nil {
		return
	}
	f.V, f.Ack = signaling.Version, s.recv
	b, err := signaling.Encode(f)
	if err != nil {
		s.srv.log.Error("signaling: encoding a server frame", "type", f.Type, "err", err)
		return
	}
	if s.c.push(b) {
		s.ackSent = f.Ack
	}
}

// ackDue returns an encoded bare ack if the client is owed one, else nil. Called by the
// writer after draining its queue.
func (s *session) ackDue() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recv <= s.ackSent {
		return nil
	}
	s.ackSent = s.recv
	b, _ := signaling.Encode(&signaling.Frame{V: signaling.Version, Type: signaling.TypeAck, Ack: s.recv})
	return b
}

// handle processes one valid frame from the client.
func (s *session) handle(f *signaling.Frame) {
	now := s.srv.clock.Now()
	s.mu.Lock()
	s.out.Ack(f.Ack)
	if f.Seq != 0 {
		if f.Seq <= s.recv { // a resend we already have
			c := s.c
			s.mu.Unlock()
			if c != nil {
				c.poke()
			}
			return
		}
		s.recv = f.Seq
	}
	c := s.c
	s.mu.Unlock()
	if f.Seq != 0 && c != nil {
		defer c.poke() // the writer acks unless a frame carried it
	}
	if f.Type == signaling.TypeAck {
		return
	}
	if !s.msgs.AllowN(now, 1) || !s.ue.msgs.AllowN(now, 1) {
		s.reject(f, signaling.CodeRateLimited, "too many messages")
		return
	}
	switch {
	case f.Type == signaling.TypeInvite && len(f.Data) > e2ee.CommitSize,
		f.Type == signaling.TypeAccept && len(f.Data) > e2ee.ResponseSize:
		// An invite carries one e2ee Commit and an accept one Response; anything larger only
		// fills the callee's queue.
		s.reject(f, signaling.CodeTooLarge, "data larger than the key agreement message")
		return
	}
	switch f.Type {
	case signaling.TypeInvite:
		if !s.invites.AllowN(now, 1) || !s.ue.invites.AllowN(now, 1) {
			s.reject(f, signaling.CodeRateLimited, "too many invites")
			return
		}
		s.invite(f)
	case signaling.TypeAccept:
		s.accept(f)
	case signaling.TypeDecline:
		s.decline(f)
	case signaling.TypeCancel:
		s.cancel(f)
	case signaling.TypeHangup:
		s.hangup(f)
	case signaling.TypeRelay:
		s.relay(f)
	case signaling.TypeTURN:
		s.sendUnreliable(&signaling.Frame{Type: signaling.TypeTURN, TURN: s.srv.turnInfo(s.ue.name)})
	default:
		s.reject(f, signaling.CodeBadRequest, "not a client frame here")
	}
}

// reject answers f with an error frame (reliable when it concerns a call).
func (s *session) reject(f *signaling.Frame, code, reason string) {
	s.srv.m.reject(code)
	e := &signaling.Frame{Type: signaling.TypeError, Code: code, Reason: reason, Call: f.Call}
	var zero e2ee.CallID
	if f.Call == zero {
		s.sendUnreliable(e)
		return
	}
	s.deliver(e)
}
