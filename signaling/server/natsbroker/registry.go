package natsbroker

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/parley-voice/parley/e2ee"
)

// Registry is a server.Registry on a JetStream key-value bucket: the first node to Create a
// user's key wins, atomically across the cluster. Safe for concurrent use.
type Registry struct {
	kv jetstream.KeyValue
}

// DefaultBucket is the key-value bucket holding name → identity key bindings.
const DefaultBucket = "parley_users"

// NewRegistry opens (creating if needed) the bucket on b's connection. The NATS server must run
// with JetStream enabled (nats-server -js).
func NewRegistry(ctx context.Context, b *Broker, bucket string) (*Registry, error) {
	if bucket == "" {
		bucket = DefaultBucket
	}
	js, err := jetstream.New(b.nc)
	if err != nil {
		return nil, fmt.Errorf("signaling: natsbroker: jetstream: %w", err)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket, History: 1})
	if err != nil {
		return nil, fmt.Errorf("signaling: natsbroker: key-value bucket %q: %w", bucket, err)
	}
	return &Registry{kv: kv}, nil
}

// Bind implements server.Registry.
func (r *Registry) Bind(ctx context.Context, user string, key e2ee.PublicIdentity) (e2ee.PublicIdentity, bool, error) {
	_, err := r.kv.Create(ctx, user, key[:])
	if err == nil {
		return key, true, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return e2ee.PublicIdentity{}, false, fmt.Errorf("signaling: natsbroker: bind: %w", err)
	}
	e, err := r.kv.Get(ctx, user)
	if err != nil {
		return e2ee.PublicIdentity{}, false, fmt.Errorf("signaling: natsbroker: lookup: %w", err)
	}
	bound, err := e2ee.ParsePublicIdentity(e.Value())
	if err != nil {
		return e2ee.PublicIdentity{}, false, fmt.Errorf("signaling: natsbroker: stored key: %w", err)
	}
	return bound, false, nil
}
