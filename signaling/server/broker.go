package server

import (
	"context"
	"sync"
)

// Broker carries messages between the server nodes of one deployment. Subjects are opaque
// strings. Handlers must not retain data after returning. Implementations are safe for
// concurrent use.
//
// Ordering: messages one goroutine publishes to one subject arrive at each subscriber in the
// order published.
type Broker interface {
	// Subscribe calls h for every message on subject until the subscription is cancelled.
	// h's return value answers a Request (nil: no answer from this subscriber).
	Subscribe(subject string, h Handler) (Subscription, error)
	// Publish delivers data to every subscriber of subject; with none it succeeds silently.
	Publish(ctx context.Context, subject string, data []byte) error
	// Request delivers data and returns the first answer. It returns ErrNoResponders at once
	// when nobody subscribes, and the context's error when nobody answers in time.
	Request(ctx context.Context, subject string, data []byte) ([]byte, error)
}

// Handler handles one broker message; see Broker.Subscribe.
type Handler func(data []byte) (reply []byte)

// Subscription is an active Subscribe.
type Subscription interface {
	// Unsubscribe stops deliveries; it is idempotent.
	Unsubscribe() error
}

// MemoryBroker is the single-process Broker: it calls handlers synchronously in the
// publisher's goroutine. The zero value is ready to use. Several servers in one process may
// share one MemoryBroker (tests of multi-node routing).
type MemoryBroker struct {
	mu   sync.RWMutex
	subs map[string][]*memSub
}

type memSub struct {
	b       *MemoryBroker
	subject string
	h       Handler
	once    sync.Once
}

// Subscribe implements Broker.
func (b *MemoryBroker) Subscribe(subject string, h Handler) (Subscription, error) {
	s := &memSub{b: b, subject: subject, h: h}
	b.mu.Lock()
	if b.subs == nil {
		b.subs = make(map[string][]*memSub)
	}
	b.subs[subject] = append(b.subs[subject], s)
	b.mu.Unlock()
	return s, nil
}

func (s *memSub) Unsubscribe() error {
	s.once.Do(func() {
		b := s.b
		b.mu.Lock()
		defer b.mu.Unlock()
		list := b.subs[s.subject]
		for i, x := range list {
			if x == s {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(b.subs, s.subject)
		} else {
			b.subs[s.subject] = list
		}
	})
	return nil
}

func (b *MemoryBroker) handlers(subject string) []*memSub {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.subs[subject] // copy-on-write: never mutated in place
}

// Publish implements Broker.
func (b *MemoryBroker) Publish(ctx context.Context, subject string, data []byte) error {
	for _, s := range b.handlers(subject) {
		s.h(data)
	}
	return ctx.Err()
}

// Request implements Broker. Every subscriber receives the message (as over NATS); the first
// non-nil answer is returned.
func (b *MemoryBroker) Request(ctx context.Context, subject string, data []byte) ([]byte, error) {
	hs := b.handlers(subject)
	if len(hs) == 0 {
		return nil, ErrNoResponders
	}
	var reply []byte
	for _, s := range hs {
		if r := s.h(data); r != nil && reply == nil {
			reply = r
		}
	}
	if reply == nil {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, ErrNoResponders
	}
	return reply, nil
}
