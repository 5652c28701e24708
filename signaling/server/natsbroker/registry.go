package natsbroker

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling/server"
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

// Bind implements server.Registry. Writes are compare-and-set on the entry's revision, so of
// two nodes racing for one name exactly one wins; the loser retries on what it then reads.
func (r *Registry) Bind(ctx context.Context, c server.Claim) (e2ee.PublicIdentity, bool, error) {
	for range 8 {
		var old *server.Binding
		var rev uint64
		e, err := r.kv.Get(ctx, c.User)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return e2ee.PublicIdentity{}, false, fmt.Errorf("signaling: natsbroker: lookup: %w", err)
		default:
			b, err := server.ParseBinding(e.Value())
			if err != nil {
				return e2ee.PublicIdentity{}, false, fmt.Errorf("signaling: natsbroker: stored binding of %q: %w", c.User, err)
			}
			old, rev = &b, e.Revision()
		}
		store, bound, created, err := c.Decide(old)
		if err != nil || store == nil {
			return bound, created, err
		}
		v, _ := store.MarshalBinary()
		if old == nil {
			_, err = r.kv.Create(ctx, c.User, v)
		} else {
			_, err = r.kv.Update(ctx, c.User, v, rev)
		}
		switch {
		case err == nil:
			return bound, created, nil
		case errors.Is(err, jetstream.ErrKeyExists), isWrongSequence(err):
			continue // another node wrote first: decide again on its binding
		default:
			return e2ee.PublicIdentity{}, false, fmt.Errorf("signaling: natsbroker: bind: %w", err)
		}
	}
	return e2ee.PublicIdentity{}, false, fmt.Errorf("signaling: natsbroker: bind %q: too much contention", c.User)
}

// isWrongSequence reports JetStream's answer to an Update on a stale revision.
func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}
