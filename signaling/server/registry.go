package server

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/parley-voice/parley/e2ee"
)

// Registry binds user names to identity keys. Bind must be atomic across every node sharing
// the registry: of two concurrent first logins claiming one name with different keys, exactly
// one wins. Implementations are safe for concurrent use and apply Claim.Decide to the stored
// binding, so the rules (registration limit, expiry of unused names) are the same everywhere.
type Registry interface {
	// Bind returns the key bound to c.User, binding c.Key first if the name is free and
	// c.MayRegister allows it (created reports that; a refusal is ErrRegisterLimit). The
	// caller compares the result with c.Key: a different key means the name is taken.
	Bind(ctx context.Context, c Claim) (bound e2ee.PublicIdentity, created bool, err error)
}

// Claim is one login's request to a Registry.
type Claim struct {
	User string
	Key  e2ee.PublicIdentity
	// Now is the login time (the server's clock).
	Now time.Time
	// UnusedTTL frees a name whose owner never logged in again after registering it, once
	// that long has passed since the registration; zero never frees names.
	UnusedTTL time.Duration
	// MayRegister is asked at most once, only when a free name is about to be bound; nil
	// allows.
	MayRegister func() bool
}

// Binding is a stored name → key binding.
type Binding struct {
	Key     e2ee.PublicIdentity
	Created time.Time // registration time, second resolution
	Used    bool      // its owner logged in again after registering
}

// bindingSize is the encoded size: key ‖ created (Unix seconds, big endian) ‖ used.
const bindingSize = e2ee.PublicIdentitySize + 8 + 1

// MarshalBinary encodes b for a registry's store.
func (b Binding) MarshalBinary() ([]byte, error) {
	out := make([]byte, bindingSize)
	copy(out, b.Key[:])
	binary.BigEndian.PutUint64(out[e2ee.PublicIdentitySize:], uint64(b.Created.Unix()))
	if b.Used {
		out[bindingSize-1] = 1
	}
	return out, nil
}

// ParseBinding decodes a stored binding. A bare 32-byte key (written before bindings had
// dates) is a used binding that never expires.
func ParseBinding(v []byte) (Binding, error) {
	switch len(v) {
	case e2ee.PublicIdentitySize:
		k, err := e2ee.ParsePublicIdentity(v)
		return Binding{Key: k, Used: true}, err
	case bindingSize:
		k, err := e2ee.ParsePublicIdentity(v[:e2ee.PublicIdentitySize])
		if err != nil {
			return Binding{}, err
		}
		if v[bindingSize-1] > 1 {
			return Binding{}, fmt.Errorf("%w: binding flag %d", ErrRegistry, v[bindingSize-1])
		}
		sec := int64(binary.BigEndian.Uint64(v[e2ee.PublicIdentitySize:]))
		return Binding{Key: k, Created: time.Unix(sec, 0), Used: v[bindingSize-1] == 1}, nil
	}
	return Binding{}, fmt.Errorf("%w: binding of %d bytes", ErrRegistry, len(v))
}

// Decide applies the registry rules to the stored binding old (nil: none). It returns the
// binding to store (nil: leave the store as it is), the key the name is bound to afterwards
// and whether c registered it. A name is free when unbound or when it expired (never used
// after registration and older than c.UnusedTTL).
func (c Claim) Decide(old *Binding) (store *Binding, bound e2ee.PublicIdentity, created bool, err error) {
	if old != nil && !(c.UnusedTTL > 0 && !old.Used && c.Now.Sub(old.Created) >= c.UnusedTTL) {
		if old.Key.Equal(c.Key) && !old.Used && c.Now.Unix() != old.Created.Unix() {
			return &Binding{Key: old.Key, Created: old.Created, Used: true}, old.Key, false, nil
		}
		return nil, old.Key, false, nil
	}
	if c.MayRegister != nil && !c.MayRegister() {
		return nil, e2ee.PublicIdentity{}, false, ErrRegisterLimit
	}
	return &Binding{Key: c.Key, Created: c.Now.Truncate(time.Second)}, c.Key, true, nil
}

// MemoryRegistry is a Registry in process memory, lost on restart (use FileRegistry for a
// single node that must keep its names). The zero value is ready to use; servers in one
// process may share one.
type MemoryRegistry struct {
	mu    sync.Mutex
	users map[string]Binding
}

// Bind implements Registry.
func (r *MemoryRegistry) Bind(_ context.Context, c Claim) (e2ee.PublicIdentity, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.users == nil {
		r.users = make(map[string]Binding)
	}
	var old *Binding
	if b, ok := r.users[c.User]; ok {
		old = &b
	}
	store, bound, created, err := c.Decide(old)
	if store != nil {
		r.users[c.User] = *store
	}
	return bound, created, err
}
