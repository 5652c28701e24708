package e2ee

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func fixedClock() func() time.Time {
	t0 := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	return func() time.Time { return t0 }
}

func TestStoreLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "peers.json")
	s, err := OpenStore(path, WithClock(fixedClock()))
	if err != nil {
		t.Fatal(err)
	}
	alice, mallory := mustIdentity(t, 1).Public(), mustIdentity(t, 2).Public()

	st, err := s.Observe("alice", alice)
	if err != nil || st != StatusFirstContact {
		t.Fatalf("first contact: %v, %v", st, err)
	}
	if st, err = s.Observe("alice", alice); err != nil || st != StatusKnown {
		t.Fatalf("second contact: %v, %v", st, err)
	}
	st, err = s.Observe("alice", mallory)
	if !errors.Is(err, ErrIdentityChanged) || st != StatusChanged {
		t.Fatalf("changed key: %v, %v", st, err)
	}
	if !strings.Contains(err.Error(), alice.Fingerprint()) || !strings.HasPrefix(err.Error(), "e2ee: ") {
		t.Fatalf("changed-key error lacks the old fingerprint or prefix: %v", err)
	}
	if rec, _ := s.Lookup("alice"); !rec.Key.Equal(alice) {
		t.Fatal("a changed key replaced the pin")
	}
	if err := s.MarkVerified("alice", alice); err != nil {
		t.Fatal(err)
	}
	if st, err = s.Observe("alice", alice); err != nil || st != StatusVerified {
		t.Fatalf("after verify: %v, %v", st, err)
	}

	// Everything survives a reopen, with 0600 permissions.
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("store mode %v, want 0600", fi.Mode().Perm())
	}
	s2, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := s2.Lookup("alice")
	if err != nil || !rec.Verified || !rec.Key.Equal(alice) || !rec.VerifiedAt.Equal(fixedClock()()) {
		t.Fatalf("reopened record = %+v, %v", rec, err)
	}

	// A SAS-verified new key replaces the pin: that is how a change is accepted.
	if err := s2.MarkVerified("alice", mallory); err != nil {
		t.Fatal(err)
	}
	if st, err = s2.Observe("alice", alice); st != StatusChanged || !errors.Is(err, ErrIdentityChanged) {
		t.Fatalf("old key after re-verification: %v, %v", st, err)
	}
	if err := s2.Forget("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Lookup("alice"); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("after Forget: %v", err)
	}
	if st, _ = s2.Observe("alice", alice); st != StatusFirstContact {
		t.Fatalf("after Forget: %v", st)
	}
	if err := s2.Forget("nobody"); err != nil {
		t.Fatal(err)
	}
}

func TestStoreTightensPermissions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "peers.json")
	if err := os.WriteFile(path, []byte(`{"version":1,"peers":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Observe("bob", mustIdentity(t, 1).Public()); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after write %v, want 0600", fi.Mode().Perm())
	}
}

func TestStorePeerNames(t *testing.T) {
	s, _ := OpenStore(filepath.Join(t.TempDir(), "p.json"))
	k := mustIdentity(t, 1).Public()
	for _, bad := range []string{"", strings.Repeat("x", 257), "a\nb", "\xff"} {
		if _, err := s.Observe(bad, k); !errors.Is(err, ErrPeerName) {
			t.Errorf("Observe(%q): %v", bad, err)
		}
		if err := s.MarkVerified(bad, k); !errors.Is(err, ErrPeerName) {
			t.Errorf("MarkVerified(%q): %v", bad, err)
		}
	}
	if _, err := s.Observe("zoë@example.org", k); err != nil {
		t.Fatal(err)
	}
}

func TestStoreStaleTempFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "peers.json")
	s, _ := OpenStore(path)
	k := mustIdentity(t, 1).Public()
	if _, err := s.Observe("bob", k); err != nil {
		t.Fatal(err)
	}
	// A crash mid-write leaves a torn temporary file next to the store.
	stale := filepath.Join(dir, ".peers.json.tmp-123456")
	if err := os.WriteFile(stale, []byte(`{"version":1,"peers":{"bob":{"ke`), 0o600); err != nil {
		t.Fatal(err)
	}
	s2, err := OpenStore(path)
	if err != nil {
		t.Fatalf("open with a stale temp file: %v", err)
	}
	if st, err := s2.Observe("bob", k); err != nil || st != StatusKnown {
		t.Fatalf("bob after stale temp: %v, %v", st, err)
	}
	if _, err := s2.Observe("carol", mustIdentity(t, 2).Public()); err != nil {
		t.Fatalf("write with a stale temp file: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 { // the store and the untouched stale file; no new leftovers
		t.Fatalf("directory holds %d files, want 2", len(entries))
	}
}

func TestStoreWriteFailureRollsBack(t *testing.T) {
	dir := t.TempDir()
	s, _ := OpenStore(filepath.Join(dir, "missing-dir", "peers.json"))
	if _, err := s.Observe("bob", mustIdentity(t, 1).Public()); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
	if _, err := s.Lookup("bob"); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("failed write left a pin: %v", err)
	}
}

func TestStoreCorrupt(t *testing.T) {
	k := mustIdentity(t, 1).Public()
	good := `{"version":1,"peers":{"a":{"key":"` + k.String() + `","verified":false,"first_seen":"2026-01-01T00:00:00Z"}}}`
	if _, err := parseStore([]byte(good)); err != nil {
		t.Fatalf("good file: %v", err)
	}
	for name, data := range map[string]string{
		"empty":          ``,
		"truncated":      good[:len(good)/2],
		"not json":       `peers: alice`,
		"version":        `{"version":2,"peers":{}}`,
		"unknown field":  `{"version":1,"peers":{},"extra":1}`,
		"trailing":       good + `{}`,
		"short key":      `{"version":1,"peers":{"a":{"key":"abcd","first_seen":"2026-01-01T00:00:00Z"}}}`,
		"bad hex":        strings.Replace(good, k.String()[:2], "zz", 1),
		"bad name":       strings.Replace(good, `"a"`, `""`, 1),
		"verified no at": strings.Replace(good, `"verified":false`, `"verified":true`, 1),
		"bad time":       strings.Replace(good, "2026-01-01", "yesterday", 1),
	} {
		if _, err := parseStore([]byte(data)); !errors.Is(err, ErrStoreCorrupt) {
			t.Errorf("%s: err = %v, want ErrStoreCorrupt", name, err)
		}
	}
	path := filepath.Join(t.TempDir(), "peers.json")
	os.WriteFile(path, []byte(`{"version":1,"peers":`), 0o600)
	if _, err := OpenStore(path); !errors.Is(err, ErrStoreCorrupt) || !strings.Contains(err.Error(), path) {
		t.Fatalf("OpenStore on corrupt file: %v", err)
	}
	if _, err := OpenStore(path, WithClock(nil)); !errors.Is(err, ErrConfig) {
		t.Fatalf("nil clock: %v", err)
	}
}

func TestStoreConcurrent(t *testing.T) {
	s, _ := OpenStore(filepath.Join(t.TempDir(), "peers.json"))
	k := mustIdentity(t, 1).Public()
	done := make(chan TrustStatus, 8)
	for range 8 {
		go func() {
			st, err := s.Observe("bob", k)
			if err != nil {
				t.Error(err)
			}
			done <- st
		}()
	}
	first := 0
	for range 8 {
		if <-done == StatusFirstContact {
			first++
		}
	}
	if first != 1 {
		t.Fatalf("%d goroutines saw first contact, want 1", first)
	}
}

func TestStoreList(t *testing.T) {
	s, err := OpenStore(filepath.Join(t.TempDir(), "peers.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.List(); len(got) != 0 {
		t.Fatalf("empty store lists %v", got)
	}
	for _, n := range []string{"carol", "alice", "bob"} {
		k, _ := GenerateIdentityKey(nil)
		if _, err := s.Observe(n, k.Public()); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for _, r := range s.List() {
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != "alice,bob,carol" {
		t.Fatalf("List = %v", names)
	}
}
