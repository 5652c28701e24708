package server

import (
	"context"
	"sync"

	"github.com/parley-voice/parley/e2ee"
)

// Registry binds user names to identity keys. Bind must be atomic across every node sharing
// the registry: of two concurrent first logins claiming one name with different keys, exactly
// one wins. Implementations are safe for concurrent use.
type Registry interface {
	// Bind returns the key bound to user, binding key first if the name is free (created
	// reports that). The caller compares the result with key: a different key means the
	// name is taken.
	Bind(ctx context.Context, user string, key e2ee.PublicIdentity) (bound e2ee.PublicIdentity, created bool, err error)
}

// MemoryRegistry is a Registry in process memory, lost on restart. The zero value is ready to
// use; servers in one process may share one.
type MemoryRegistry struct {
	mu    sync.Mutex
	users map[string]e2ee.PublicIdentity
}

// Bind implements Registry.
func (r *MemoryRegistry) Bind(_ context.Context, user string, key e2ee.PublicIdentity) (e2ee.PublicIdentity, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.users == nil {
		r.users = make(map[string]e2ee.PublicIdentity)
	}
	if k, ok := r.users[user]; ok {
		return k, false, nil
	}
	r.users[user] = key
	return key, true, nil
}
