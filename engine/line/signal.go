package line

import (
	"context"
	"fmt"
	"sync"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/engine"
)

// Signal is one call on a Line; it implements engine.Signal. Close it when the call has
// ended (it forgets the call on the Line). Safe for concurrent use.
type Signal struct {
	line   *Line
	id     e2ee.CallID
	peer   string // callee for outgoing calls, caller for incoming ones
	caller bool
	in     chan engine.Message
	gone   chan struct{}
	once   sync.Once

	mu       sync.Mutex
	answered bool
}

// CallID returns the call's ID.
func (s *Signal) CallID() e2ee.CallID { return s.id }

// Peer returns the other user's name.
func (s *Signal) Peer() string { return s.peer }

func (s *Signal) markAnswered() {
	s.mu.Lock()
	s.answered = true
	s.mu.Unlock()
}

// Send maps m onto the signaling client (see the package documentation).
func (s *Signal) Send(ctx context.Context, m engine.Message) error {
	select {
	case <-s.gone:
		return ErrClosed
	case <-s.line.done:
		return ErrClosed
	default:
	}
	c := s.line.client
	switch m.Kind {
	case engine.KindInvite:
		return c.Invite(s.id, s.peer, m.Data)
	case engine.KindAccept:
		s.markAnswered()
		return c.Accept(s.id, m.Data)
	case engine.KindDecline:
		return c.Decline(s.id)
	case engine.KindRelay:
		return c.Relay(s.id, m.Data)
	case engine.KindHangup:
		s.mu.Lock()
		answered := s.answered
		s.mu.Unlock()
		if s.caller && !answered {
			return c.Cancel(s.id)
		}
		return c.Hangup(s.id)
	case engine.KindRinging:
		return nil // the server tells the caller
	}
	return fmt.Errorf("%w: message kind %v", ErrConfig, m.Kind)
}

// Recv returns the call's next message.
func (s *Signal) Recv(ctx context.Context) (engine.Message, error) {
	select {
	case m := <-s.in:
		return m, nil
	case <-s.gone:
		return engine.Message{}, ErrClosed
	case <-s.line.done:
		return engine.Message{}, ErrClosed
	case <-ctx.Done():
		return engine.Message{}, ctx.Err()
	}
}

// Decline refuses an incoming call and closes the signal.
func (s *Signal) Decline() error {
	err := s.Send(context.Background(), engine.Message{Kind: engine.KindDecline})
	_ = s.Close()
	return err
}

// Close forgets the call. Idempotent.
func (s *Signal) Close() error {
	s.once.Do(func() {
		close(s.gone)
		s.line.forget(s.id)
	})
	return nil
}
