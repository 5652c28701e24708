package e2ee

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIdentitySaveLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "alice")
	if _, err := LoadIdentity(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("no key yet: %v, want fs.ErrNotExist", err)
	}
	k, err := GenerateIdentityKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Save(dir); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, IdentityFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want 0600", err, fi.Mode())
	}
	got, err := LoadIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Public().Equal(k.Public()) {
		t.Error("loaded another key than was saved")
	}
	// The form `parley id new` has always written: hex, newline; editors may add spaces.
	seed := k.Seed()
	defer clear(seed)
	if err := os.WriteFile(filepath.Join(dir, IdentityFile), []byte("  "+strings.ToUpper(string(hexOf(seed)))+"\r\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadIdentity(dir); err != nil || !got.Public().Equal(k.Public()) {
		t.Errorf("hand-edited key file: %v", err)
	}
	for _, bad := range []string{"", "zz", strings.Repeat("g", 64), strings.Repeat("a", 62), strings.Repeat("a", 500)} {
		if err := os.WriteFile(filepath.Join(dir, IdentityFile), []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadIdentity(dir)
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), IdentityFile) {
			t.Errorf("file %q: %v, want ErrMalformed naming the file", bad, err)
		}
		if len(bad) > 8 && strings.Contains(err.Error(), bad[:8]) {
			t.Errorf("the error quotes the file's contents: %v", err)
		}
	}
	k.Wipe()
	if err := k.Save(dir); !errors.Is(err, ErrConfig) {
		t.Errorf("saving a wiped key: %v, want ErrConfig", err)
	}
}

func hexOf(b []byte) []byte {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return out
}

func FuzzParseIdentityFile(f *testing.F) {
	f.Add([]byte(strings.Repeat("ab", 32) + "\n"))
	f.Add([]byte(""))
	f.Add([]byte(strings.Repeat("0", 63)))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := parseIdentityFile(b)
		if (err == nil) != (k != nil) {
			t.Fatalf("key %v with error %v", k, err)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v does not wrap ErrMalformed", err)
		}
	})
}
