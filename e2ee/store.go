package e2ee

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Store file format constants.
const (
	storeVersion     = 1
	maxStoreFileSize = 16 << 20 // a corrupt or hostile file is refused, not slurped
	maxPeerNameBytes = 256
	storeFileMode    = 0o600
)

// TrustStatus is what the key-continuity store knows about a peer's key.
type TrustStatus uint8

const (
	// StatusFirstContact: the peer was never seen; its key is now pinned
	// (trust on first use). Show "new contact — compare the emoji".
	StatusFirstContact TrustStatus = iota + 1
	// StatusKnown: the key matches the pinned key, not yet verified by SAS.
	StatusKnown
	// StatusVerified: the key matches a key the user verified by SAS.
	StatusVerified
	// StatusChanged: the key differs from the pinned one. Returned together
	// with ErrIdentityChanged; the pin is left unchanged. Show a warning.
	StatusChanged
)

func (t TrustStatus) String() string {
	switch t {
	case StatusFirstContact:
		return "first-contact"
	case StatusKnown:
		return "known"
	case StatusVerified:
		return "verified"
	case StatusChanged:
		return "changed"
	}
	return fmt.Sprintf("TrustStatus(%d)", uint8(t))
}

// PeerRecord is one pinned peer.
type PeerRecord struct {
	Name       string
	Key        PublicIdentity
	Verified   bool
	FirstSeen  time.Time // when the key was pinned
	VerifiedAt time.Time // zero unless Verified
}

// Store is a file-backed key-continuity store: peer name → pinned identity
// key. Every change is written at once, atomically (temporary file in the
// same directory, fsync, rename, fsync of the directory), with mode 0600,
// so a crash leaves either the old or the new file, never a torn one.
//
// Safe for concurrent use within one process. Two processes must not
// share one store file: each would overwrite the other's changes.
type Store struct {
	path string
	now  func() time.Time

	mu    sync.Mutex
	peers map[string]PeerRecord // guarded by mu
}

// StoreOption configures OpenStore.
type StoreOption func(*Store) error

// WithClock sets the clock used for timestamps (default time.Now).
func WithClock(now func() time.Time) StoreOption {
	return func(s *Store) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrConfig)
		}
		s.now = now
		return nil
	}
}

// OpenStore loads the store at path. A missing file is an empty store (it
// is created on the first change); an unparsable one is an error wrapping
// ErrStoreCorrupt, and the file is left alone for the user to inspect.
// Leftover temporary files from an interrupted write are ignored.
func OpenStore(path string, opts ...StoreOption) (*Store, error) {
	s := &Store{path: path, now: time.Now}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		s.peers = map[string]PeerRecord{}
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("e2ee: opening key store: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStoreFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("e2ee: reading key store: %w", err)
	}
	if s.peers, err = parseStore(data); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return s, nil
}

// Observe checks key against the pin for name. Unknown peers are pinned
// (StatusFirstContact) and the store is saved. A different key returns
// StatusChanged and an error wrapping ErrIdentityChanged.
func (s *Store) Observe(name string, key PublicIdentity) (TrustStatus, error) {
	if err := checkPeerName(name); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.peers[name]
	switch {
	case !ok:
		err := s.putLocked(PeerRecord{Name: name, Key: key, FirstSeen: s.now().UTC()})
		if err != nil {
			return 0, err
		}
		return StatusFirstContact, nil
	case !rec.Key.Equal(key):
		return StatusChanged, fmt.Errorf("%w: %q was %s, now %s", ErrIdentityChanged, name, rec.Key.Fingerprint(), key.Fingerprint())
	case rec.Verified:
		return StatusVerified, nil
	}
	return StatusKnown, nil
}

// MarkVerified records that the user compared the SAS of a call with name,
// whose session proved key. It pins key as verified, replacing a previous
// pin: a SAS match is exactly how a user accepts a changed key.
func (s *Store) MarkVerified(name string, key PublicIdentity) error {
	if err := checkPeerName(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	rec, ok := s.peers[name]
	if !ok || !rec.Key.Equal(key) {
		rec = PeerRecord{Name: name, Key: key, FirstSeen: now}
	}
	rec.Verified, rec.VerifiedAt = true, now
	return s.putLocked(rec)
}

// Lookup returns the record for name, or an error wrapping ErrUnknownPeer.
func (s *Store) Lookup(name string) (PeerRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.peers[name]
	if !ok {
		return PeerRecord{}, fmt.Errorf("%w: %q", ErrUnknownPeer, name)
	}
	return rec, nil
}

// List returns every pinned peer, sorted by name.
func (s *Store) List() []PeerRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PeerRecord, 0, len(s.peers))
	for _, rec := range s.peers {
		out = append(out, rec)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Forget removes name's pin, so the next Observe is a first contact again.
// Forgetting an unknown name is not an error.
func (s *Store) Forget(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.peers[name]
	if !ok {
		return nil
	}
	delete(s.peers, name)
	if err := s.saveLocked(); err != nil {
		s.peers[name] = old
		return err
	}
	return nil
}

// putLocked sets rec and saves, rolling the map back if the save fails.
func (s *Store) putLocked(rec PeerRecord) error {
	old, had := s.peers[rec.Name]
	s.peers[rec.Name] = rec
	if err := s.saveLocked(); err != nil {
		if had {
			s.peers[rec.Name] = old
		} else {
			delete(s.peers, rec.Name)
		}
		return err
	}
	return nil
}

func (s *Store) saveLocked() error {
	data, err := marshalStore(s.peers)
	if err != nil {
		return err
	}
	return writeFileAtomic(s.path, data)
}

// storeFile is the JSON layout:
//
//	{"version": 1, "peers": {"alice": {"key": "<64 hex>", "verified": true,
//	  "first_seen": "2026-01-02T03:04:05Z", "verified_at": "..."}}}
type storeFile struct {
	Version int                  `json:"version"`
	Peers   map[string]storePeer `json:"peers"`
}

type storePeer struct {
	Key        string     `json:"key"`
	Verified   bool       `json:"verified"`
	FirstSeen  time.Time  `json:"first_seen"`
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
}

func marshalStore(peers map[string]PeerRecord) ([]byte, error) {
	f := storeFile{Version: storeVersion, Peers: make(map[string]storePeer, len(peers))}
	names := make([]string, 0, len(peers))
	for n := range peers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		r := peers[n]
		p := storePeer{Key: hex.EncodeToString(r.Key[:]), Verified: r.Verified, FirstSeen: r.FirstSeen}
		if r.Verified {
			t := r.VerifiedAt
			p.VerifiedAt = &t
		}
		f.Peers[n] = p
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("e2ee: encoding key store: %w", err)
	}
	return append(data, '\n'), nil
}

// parseStore decodes a store file strictly: known fields only, version 1,
// valid names and keys, nothing after the object.
func parseStore(data []byte) (map[string]PeerRecord, error) {
	if len(data) > maxStoreFileSize {
		return nil, fmt.Errorf("%w: file larger than %d bytes", ErrStoreCorrupt, maxStoreFileSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f storeFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStoreCorrupt, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the store object", ErrStoreCorrupt)
	}
	if f.Version != storeVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrStoreCorrupt, f.Version, storeVersion)
	}
	peers := make(map[string]PeerRecord, len(f.Peers))
	for name, p := range f.Peers {
		if err := checkPeerName(name); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrStoreCorrupt, err)
		}
		raw, err := hex.DecodeString(p.Key)
		if err != nil || len(raw) != PublicIdentitySize {
			return nil, fmt.Errorf("%w: peer %q: key is not %d bytes of hex", ErrStoreCorrupt, name, PublicIdentitySize)
		}
		r := PeerRecord{Name: name, Verified: p.Verified, FirstSeen: p.FirstSeen}
		copy(r.Key[:], raw)
		if p.VerifiedAt != nil {
			r.VerifiedAt = *p.VerifiedAt
		}
		if r.Verified != (p.VerifiedAt != nil) {
			return nil, fmt.Errorf("%w: peer %q: verified and verified_at disagree", ErrStoreCorrupt, name)
		}
		peers[name] = r
	}
	return peers, nil
}

func checkPeerName(name string) error {
	if name == "" || len(name) > maxPeerNameBytes || !utf8.ValidString(name) {
		return fmt.Errorf("%w: %q", ErrPeerName, name)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: %q contains a control character", ErrPeerName, name)
		}
	}
	return nil
}

// writeFileAtomic replaces path with data so that readers and crashes see
// either the old or the new content: write a temporary file in the same
// directory, fsync it, rename it over path, fsync the directory.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("e2ee: writing key store: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("e2ee: writing key store: %w", err)
		}
	}()
	if err = f.Chmod(storeFileMode); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
