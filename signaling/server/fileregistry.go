package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parley-voice/parley/e2ee"
)

// FileRegistry is a Registry in a bbolt database file, so a single node keeps who owns which
// name across restarts (a cluster shares natsbroker's registry instead). bbolt, a well-kept
// pure-Go B+tree store with ACID transactions, gives the atomic check-and-bind in one write
// transaction without cgo. Safe for concurrent use; Close releases the file.
type FileRegistry struct {
	db *bolt.DB
}

// RegistryFile is the database's name inside the data directory.
const RegistryFile = "names.db"

var bucketNames = []byte("names")

// OpenFileRegistry opens (creating if needed) DIR/names.db with mode 0600 in a directory of
// mode 0700. Only one process may hold it: a second one waits up to 5 s and then fails.
func OpenFileRegistry(dir string) (*FileRegistry, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: data directory: %v", ErrRegistry, err)
	}
	path := filepath.Join(dir, RegistryFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s is held by another process (another parley serve? give each node its own -data)", ErrRegistry, path)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrRegistry, path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketNames)
		return err
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("%w: %v", ErrRegistry, err)
	}
	return &FileRegistry{db: db}, nil
}

// Bind implements Registry in one write transaction (atomic, durable before it returns).
func (r *FileRegistry) Bind(_ context.Context, c Claim) (bound e2ee.PublicIdentity, created bool, err error) {
	var decided error
	err = r.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketNames)
		var old *Binding
		if v := b.Get([]byte(c.User)); v != nil {
			ob, err := ParseBinding(v)
			if err != nil {
				return fmt.Errorf("stored binding of %q: %w", c.User, err)
			}
			old = &ob
		}
		var store *Binding
		store, bound, created, decided = c.Decide(old)
		if store == nil {
			return nil
		}
		v, _ := store.MarshalBinary()
		return b.Put([]byte(c.User), v)
	})
	if err != nil {
		if errors.Is(err, ErrRegistry) {
			return e2ee.PublicIdentity{}, false, err
		}
		return e2ee.PublicIdentity{}, false, fmt.Errorf("%w: %v", ErrRegistry, err)
	}
	return bound, created, decided
}

// Close closes the database file.
func (r *FileRegistry) Close() error { return r.db.Close() }
