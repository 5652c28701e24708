package e2ee

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestIdentityFingerprint(t *testing.T) {
	k := mustIdentity(t, 1)
	fp := k.Public().Fingerprint()
	if !regexp.MustCompile(`^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$`).MatchString(fp) {
		t.Fatalf("fingerprint %q not 8 groups of 4 base32 characters", fp)
	}
	if fp != k.Public().Fingerprint() {
		t.Fatal("fingerprint not stable")
	}
	if fp == mustIdentity(t, 2).Public().Fingerprint() {
		t.Fatal("two keys share a fingerprint")
	}
	// Pin the text form: changing it breaks users' saved fingerprints.
	var zero PublicIdentity
	if got, want := zero.Fingerprint(), "NVPL ZCW7 OFX3 IYUK DIJY PO5C VO4Y CXHJ"; got != want {
		t.Fatalf("fingerprint of the zero key = %q, want %q", got, want)
	}
}

func TestIdentitySeedRoundTrip(t *testing.T) {
	k := mustIdentity(t, 3)
	seed := k.Seed()
	k2, err := NewIdentityKey(seed)
	clear(seed)
	if err != nil || !k2.Public().Equal(k.Public()) {
		t.Fatalf("seed round trip: %v", err)
	}
	if _, err := NewIdentityKey(make([]byte, 31)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short seed: %v", err)
	}
	if _, err := ParsePublicIdentity(make([]byte, 33)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("long public key: %v", err)
	}
	msg := []byte("challenge")
	sig := k.Sign(msg)
	if !k.Public().Verify(msg, sig) || k.Public().Verify([]byte("other"), sig) || k.Public().Verify(msg, sig[:10]) {
		t.Fatal("Sign/Verify wrong")
	}
}

func TestIdentityRedacted(t *testing.T) {
	k := mustIdentity(t, 4)
	seed := k.Seed()
	secretHex := hex.EncodeToString(seed)
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		for _, v := range []any{k, *k} {
			out := fmt.Sprintf(f, v)
			if strings.Contains(strings.ToLower(out), secretHex[:16]) || strings.Contains(out, string(seed[:8])) ||
				strings.Contains(out, fmt.Sprint(seed[:4])[1:10]) {
				t.Fatalf("%s of %T leaks the secret: %s", f, v, out)
			}
			if !strings.Contains(out, "redacted") {
				t.Fatalf("%s of %T = %q, want a redacted form", f, v, out)
			}
		}
	}
	sa, _ := sessions(t)
	if s := fmt.Sprintf("%v %+v", sa, sa); strings.Contains(s, "aead") {
		t.Fatalf("Session formatting shows internals: %s", s)
	}
}

func TestIdentityWipe(t *testing.T) {
	k := mustIdentity(t, 5)
	priv := k.priv
	k.Wipe()
	for _, b := range priv {
		if b != 0 {
			t.Fatal("private key not zeroed")
		}
	}
	if k.Sign([]byte("x")) != nil {
		t.Fatal("wiped key still signs")
	}
	if _, err := NewCaller(Config{Identity: k}); !errors.Is(err, ErrConfig) {
		t.Fatalf("wiped identity accepted: %v", err)
	}
	k.Wipe() // idempotent
	var nilKey *IdentityKey
	nilKey.Wipe()
}

func TestSASTable(t *testing.T) {
	emoji, words := map[string]int{}, map[string]int{}
	for i := range 256 {
		e, w := SASSymbol(byte(i))
		if utf8.RuneCountInString(e) != 1 {
			t.Errorf("index %d: emoji %q is not one code point", i, e)
		}
		if !regexp.MustCompile(`^[a-z]{3,12}$`).MatchString(w) {
			t.Errorf("index %d: word %q not 3-12 lowercase letters", i, w)
		}
		if j, dup := emoji[e]; dup {
			t.Errorf("emoji %s at %d and %d", e, j, i)
		}
		if j, dup := words[w]; dup {
			t.Errorf("word %s at %d and %d", w, j, i)
		}
		emoji[e], words[w] = i, i
	}
	// Pin the table's ends: editing it changes every SAS.
	if e, w := SASSymbol(0); e != "🐶" || w != "dog" {
		t.Fatalf("table[0] = %s %s", e, w)
	}
	if e, w := SASSymbol(255); e != "🦴" || w != "bone" {
		t.Fatalf("table[255] = %s %s", e, w)
	}
}

func TestSASRendering(t *testing.T) {
	s := SAS{0, 1, 2, 255}
	if got, want := s.String(), "🐶 🐱 🐭 🦴 (dog cat mouse bone)"; got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
	e, w := s.Emoji(), s.Words()
	for i := range s {
		if ee, ww := SASSymbol(s[i]); ee != e[i] || ww != w[i] {
			t.Fatalf("position %d: emoji and word disagree", i)
		}
	}
	if !s.Equal(SAS{0, 1, 2, 255}) || s.Equal(SAS{0, 1, 2, 254}) {
		t.Fatal("Equal wrong")
	}
}

func TestTextForms(t *testing.T) {
	k := mustIdentity(t, 1).Public()
	id := CallID{0xde, 0xad}
	data, err := json.Marshal(struct {
		Key  PublicIdentity
		Call CallID
	}{k, id})
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Key  PublicIdentity
		Call CallID
	}
	if err := json.Unmarshal(data, &back); err != nil || !back.Key.Equal(k) || back.Call != id {
		t.Fatalf("JSON round trip: %s, %v", data, err)
	}
	if err := json.Unmarshal([]byte(`{"Key":"00"}`), &back); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short key text: %v", err)
	}
}
