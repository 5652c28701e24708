// Package natsbroker runs Parley's signaling across several server nodes over NATS: a
// server.Broker on NATS subjects and a server.Registry on a JetStream key-value bucket, so
// names are bound once for the whole cluster.
//
// It lives apart from package server so that single-node deployments (and the architecture
// rule that the engine never sees NATS) do not pull in the NATS client.
package natsbroker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/parley-voice/parley/signaling/server"
)

// Broker is a server.Broker over one NATS connection. All subscriptions share one channel and
// one dispatching goroutine (not a goroutine per user), which also keeps each subject's
// messages in order. Safe for concurrent use; Close stops it.
type Broker struct {
	nc   *nats.Conn
	ch   chan *nats.Msg
	done chan struct{}
	wg   sync.WaitGroup

	mu     sync.Mutex
	subs   map[*nats.Subscription]server.Handler
	onDown []func(error)
}

// Connect dials url (e.g. "nats://127.0.0.1:4222") and returns a Broker. The connection
// reconnects by itself; while it is down, Publish and Request fail with ErrDisconnected and the
// functions registered with OnDown are told.
func Connect(url string, opts ...nats.Option) (*Broker, error) {
	b := &Broker{ch: make(chan *nats.Msg, 4096), done: make(chan struct{}), subs: make(map[*nats.Subscription]server.Handler)}
	opts = append([]nats.Option{
		nats.Name("parley-signaling"),
		nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { b.down(err) }),
	}, opts...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("signaling: natsbroker: %w", err)
	}
	b.nc = nc
	b.wg.Add(1)
	go b.dispatch()
	return b, nil
}

// Conn returns the underlying NATS connection (for the Registry).
func (b *Broker) Conn() *nats.Conn { return b.nc }

// OnDown registers f to be called (in its own goroutine) whenever the connection drops.
// server.New registers the node's handler, which ends calls still being set up.
func (b *Broker) OnDown(f func(error)) {
	b.mu.Lock()
	b.onDown = append(b.onDown, f)
	b.mu.Unlock()
}

func (b *Broker) down(err error) {
	if err == nil {
		err = ErrDisconnected
	}
	b.mu.Lock()
	fs := append([]func(error){}, b.onDown...)
	b.mu.Unlock()
	for _, f := range fs {
		go f(err)
	}
}

// Healthy reports whether the NATS connection is up.
func (b *Broker) Healthy() bool { return b.nc.IsConnected() }

func (b *Broker) dispatch() {
	defer b.wg.Done()
	for {
		select {
		case <-b.done:
			return
		case m := <-b.ch:
			b.mu.Lock()
			h := b.subs[m.Sub]
			b.mu.Unlock()
			if h == nil {
				continue
			}
			if reply := h(m.Data); reply != nil && m.Reply != "" {
				_ = m.Respond(reply)
			}
		}
	}
}

type subscription struct {
	b   *Broker
	sub *nats.Subscription
}

func (s subscription) Unsubscribe() error {
	s.b.mu.Lock()
	delete(s.b.subs, s.sub)
	s.b.mu.Unlock()
	err := s.sub.Unsubscribe()
	if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrBadSubscription) {
		return nil
	}
	return err
}

// Subscribe implements server.Broker.
func (b *Broker) Subscribe(subject string, h server.Handler) (server.Subscription, error) {
	b.mu.Lock()
	sub, err := b.nc.ChanSubscribe(subject, b.ch)
	if err != nil {
		b.mu.Unlock()
		return nil, fmt.Errorf("signaling: natsbroker: subscribe: %w", err)
	}
	b.subs[sub] = h
	b.mu.Unlock()
	// Wait until the NATS server has the interest, so that a login that returns is
	// reachable from every node at once (no "unavailable" for a user just logged in).
	if err := b.nc.FlushTimeout(5 * time.Second); err != nil {
		s := subscription{b: b, sub: sub}
		_ = s.Unsubscribe()
		return nil, fmt.Errorf("signaling: natsbroker: subscribe: %w", err)
	}
	return subscription{b: b, sub: sub}, nil
}

// Publish implements server.Broker.
func (b *Broker) Publish(_ context.Context, subject string, data []byte) error {
	if !b.nc.IsConnected() {
		return ErrDisconnected
	}
	if err := b.nc.Publish(subject, data); err != nil {
		return fmt.Errorf("signaling: natsbroker: publish: %w", err)
	}
	return nil
}

// Request implements server.Broker.
func (b *Broker) Request(ctx context.Context, subject string, data []byte) ([]byte, error) {
	if !b.nc.IsConnected() {
		return nil, ErrDisconnected
	}
	m, err := b.nc.RequestWithContext(ctx, subject, data)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return nil, server.ErrNoResponders
	case err != nil:
		return nil, fmt.Errorf("signaling: natsbroker: request: %w", err)
	}
	return m.Data, nil
}

// Close unsubscribes, closes the connection and stops the dispatcher. Idempotent.
func (b *Broker) Close() error {
	select {
	case <-b.done:
		return nil
	default:
	}
	b.nc.Close()
	close(b.done)
	b.wg.Wait()
	return nil
}
