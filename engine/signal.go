package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/parley-voice/parley/e2ee"
)

// Kind is the kind of a signaling message. The zero value is invalid.
type Kind uint8

// Message kinds, in the order a call uses them.
const (
	// KindInvite, caller → callee: rings the callee; Data is the e2ee Commit.
	KindInvite Kind = iota + 1
	// KindRinging, to the caller: the callee is being alerted. No Data.
	KindRinging
	// KindAccept, callee → caller: the callee answered; Data is the e2ee Response.
	KindAccept
	// KindDecline, callee → caller: the callee refused. No Data.
	KindDecline
	// KindRelay, both ways after the accept: Data is opaque to the signaling layer (the e2ee
	// Reveal, then sealed envelopes carrying SDP, ICE candidates and the hang-up).
	KindRelay
	// KindHangup, both ways: the call is over (cancelled while ringing, hung up, or ended by
	// the signaling service, e.g. a ring timeout); Reason says why. Sent unsealed by the
	// engine after its sealed hang-up so that the signaling service can clean up. Received
	// after the key agreement it ends nothing (it cannot prove the peer sent it): the engine
	// stops reading the Signal, as if signaling were lost, and the call ends by the peer's
	// sealed hang-up, its DTLS close or the loss of its media.
	KindHangup
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindInvite:
		return "invite"
	case KindRinging:
		return "ringing"
	case KindAccept:
		return "accept"
	case KindDecline:
		return "decline"
	case KindRelay:
		return "relay"
	case KindHangup:
		return "hangup"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Message is one signaling message of a call.
type Message struct {
	Kind   Kind
	Data   []byte // opaque payload; the receiver owns it
	Reason string // for KindHangup and KindDecline: a short machine-readable reason
}

// Signal is the engine's view of the signaling service for one call: an ordered, reliable,
// exactly-once channel of messages to and from the peer of that call. The engine seals
// everything sensitive itself, so the channel needs no confidentiality; it must preserve
// order (sealed envelopes are accepted strictly in order).
//
// Send and Recv are each called from one goroutine at a time, possibly concurrently with each
// other. Recv blocks until a message arrives or ctx ends; an error other than ctx's ends the
// engine's use of the channel (media continues until the call ends otherwise). The engine does
// not close a Signal: its owner does, after the call ended.
type Signal interface {
	// CallID is the call's identifier, shared by both sides (the callee learns it from the
	// invite). It is bound into the key agreement.
	CallID() e2ee.CallID
	Send(ctx context.Context, m Message) error
	Recv(ctx context.Context) (Message, error)
}

// Pipe is one end of an in-memory Signal pair made by NewPipe: what one end sends, the other
// receives, in order. It stands in for the signaling service in tests and examples, and can
// also carry a call between two engines of one process. Safe for concurrent use.
type Pipe struct {
	id   e2ee.CallID
	in   chan Message
	peer *Pipe
	once sync.Once
	done chan struct{}
	// Drop, if set before the pipe is used, is asked about every message Send is given;
	// those it returns true for are silently lost (a test hook for a vanishing peer).
	Drop func(Message) bool
}

// NewPipe returns two connected ends for a call with the given ID. Each end buffers up to 256
// undelivered messages; Send blocks beyond that.
func NewPipe(id e2ee.CallID) (caller, callee *Pipe) {
	a := &Pipe{id: id, in: make(chan Message, 256), done: make(chan struct{})}
	b := &Pipe{id: id, in: make(chan Message, 256), done: make(chan struct{})}
	a.peer, b.peer = b, a
	return a, b
}

// CallID returns the call's ID.
func (p *Pipe) CallID() e2ee.CallID { return p.id }

// Send delivers m to the other end. It returns ErrClosed once either end is closed.
func (p *Pipe) Send(ctx context.Context, m Message) error {
	if p.Drop != nil && p.Drop(m) {
		return nil
	}
	m.Data = append([]byte(nil), m.Data...)
	select {
	case <-p.done:
		return ErrClosed
	case <-p.peer.done:
		return ErrClosed
	default:
	}
	select {
	case p.peer.in <- m:
		return nil
	case <-p.done:
		return ErrClosed
	case <-p.peer.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Recv returns the next message from the other end. Messages already queued are delivered
// even after the other end closed; then Recv returns ErrClosed.
func (p *Pipe) Recv(ctx context.Context) (Message, error) {
	select {
	case m := <-p.in:
		return m, nil
	default:
	}
	select {
	case m := <-p.in:
		return m, nil
	case <-p.done:
		return Message{}, ErrClosed
	case <-p.peer.done:
		select {
		case m := <-p.in:
			return m, nil
		default:
			return Message{}, ErrClosed
		}
	case <-ctx.Done():
		return Message{}, ctx.Err()
	}
}

// Close closes this end; both ends then fail Send, and Recv after draining. Idempotent.
func (p *Pipe) Close() error {
	p.once.Do(func() { close(p.done) })
	return nil
}
