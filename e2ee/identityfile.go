package e2ee

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// IdentityFile is the name of the identity key file in an identity directory, as
// `parley id new` writes it: the IdentitySeedSize-byte seed in lowercase hex on one line,
// readable by its owner only (mode 0600).
const IdentityFile = "identity.key"

// maxIdentityFile bounds how much of a file LoadIdentity reads: the hex seed, a newline and
// some slack for whitespace an editor may add.
const maxIdentityFile = 2*IdentitySeedSize + 64

// LoadIdentity reads the identity key in dir/IdentityFile. A missing file gives an error
// wrapping fs.ErrNotExist (test with errors.Is(err, fs.ErrNotExist)); a file that is not a hex
// seed one wraps ErrMalformed. The error names the file but never its contents.
func LoadIdentity(dir string) (*IdentityKey, error) {
	path := filepath.Join(dir, IdentityFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("e2ee: identity: %w", err)
	}
	defer f.Close()
	buf, err := io.ReadAll(io.LimitReader(f, maxIdentityFile+1))
	defer clear(buf)
	if err != nil {
		return nil, fmt.Errorf("e2ee: identity %s: %w", path, err)
	}
	if len(buf) > maxIdentityFile {
		return nil, fmt.Errorf("%w: %s is not an identity key file (too long)", ErrMalformed, path)
	}
	k, err := parseIdentityFile(buf)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return k, nil
}

// parseIdentityFile decodes the contents of an identity key file.
func parseIdentityFile(b []byte) (*IdentityKey, error) {
	text := bytes.TrimSpace(b) // bytes, not a string: the caller wipes b
	if len(text) != 2*IdentitySeedSize {
		return nil, fmt.Errorf("%w: identity key file holds %d characters, want %d hex digits", ErrMalformed, len(text), 2*IdentitySeedSize)
	}
	var seed [IdentitySeedSize]byte
	defer clear(seed[:])
	if _, err := hex.Decode(seed[:], text); err != nil {
		return nil, fmt.Errorf("%w: identity key file is not hex", ErrMalformed)
	}
	return NewIdentityKey(seed[:])
}

// Save writes k to dir/IdentityFile in the form LoadIdentity reads, creating dir (mode 0700)
// if needed. The file is written to a temporary name, synced, made readable by its owner only
// and renamed into place, so a crash never leaves half a key. It replaces an existing key:
// check first (LoadIdentity) if that matters, since contacts will see a changed key.
func (k *IdentityKey) Save(dir string) error {
	if k.wiped() {
		return fmt.Errorf("%w: saving a wiped identity key", ErrConfig)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("e2ee: identity: %w", err)
	}
	seed := k.Seed()
	data := hex.AppendEncode(nil, seed)
	clear(seed)
	data = append(data, '\n')
	defer clear(data)
	tmp, err := os.CreateTemp(dir, ".identity-*")
	if err != nil {
		return fmt.Errorf("e2ee: identity: %w", err)
	}
	_, werr := tmp.Write(data)
	if err := errors.Join(tmp.Chmod(0o600), werr, tmp.Sync(), tmp.Close()); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("e2ee: identity: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, IdentityFile)); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("e2ee: identity: %w", err)
	}
	return nil
}
