package e2ee

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// Spec constants for identities.
const (
	// PublicIdentitySize is the size of an encoded identity public key.
	PublicIdentitySize = ed25519.PublicKeySize
	// IdentitySeedSize is the size of the secret seed an IdentityKey is
	// derived from (RFC 8032 private key).
	IdentitySeedSize = ed25519.SeedSize

	// fingerprintLabel domain-separates fingerprints from every other hash.
	fingerprintLabel = "parley fingerprint v1\x00"
	// fingerprintBytes is the SHA-256 prefix shown to users: 160 bits,
	// exactly 32 base32 characters.
	fingerprintBytes = 20
)

// Implementation constants for the fingerprint text form.
const (
	fingerprintGroup = 4 // characters per group
)

var fingerprintEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// PublicIdentity is a peer's long-term Ed25519 public key. It is a value
// type: the zero value is the all-zero key, which never verifies anything.
// Compare with Equal (constant time), not ==.
type PublicIdentity [PublicIdentitySize]byte

// ParsePublicIdentity returns the identity encoded in b, which must be
// exactly PublicIdentitySize bytes.
func ParsePublicIdentity(b []byte) (PublicIdentity, error) {
	var p PublicIdentity
	if len(b) != PublicIdentitySize {
		return p, fmt.Errorf("%w: identity key is %d bytes, want %d", ErrMalformed, len(b), PublicIdentitySize)
	}
	copy(p[:], b)
	return p, nil
}

// Equal reports whether p and q are the same key, in constant time.
func (p PublicIdentity) Equal(q PublicIdentity) bool {
	return subtle.ConstantTimeCompare(p[:], q[:]) == 1
}

// IsZero reports whether p is the zero value.
func (p PublicIdentity) IsZero() bool {
	var z PublicIdentity
	return p.Equal(z)
}

// Verify reports whether sig is p's signature of msg.
func (p PublicIdentity) Verify(msg, sig []byte) bool {
	if len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(ed25519.PublicKey(p[:]), msg, sig)
}

// Fingerprint returns the stable text form users compare out of band:
// SHA-256 over a label and the key, its first 160 bits in base32, in eight
// space-separated groups of four characters ("ABCD EFGH ...").
func (p PublicIdentity) Fingerprint() string {
	h := sha256.New()
	h.Write([]byte(fingerprintLabel))
	h.Write(p[:])
	sum := h.Sum(nil)
	enc := fingerprintEncoding.EncodeToString(sum[:fingerprintBytes])
	var b strings.Builder
	for i := 0; i < len(enc); i += fingerprintGroup {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(enc[i:min(i+fingerprintGroup, len(enc))])
	}
	return b.String()
}

// String returns the key in hex. Public keys are not secret.
func (p PublicIdentity) String() string { return hex.EncodeToString(p[:]) }

// MarshalText encodes the key as 64 lowercase hex digits (the form used in
// JSON by the store and the signaling protocol).
func (p PublicIdentity) MarshalText() ([]byte, error) {
	return hex.AppendEncode(nil, p[:]), nil
}

// UnmarshalText decodes the MarshalText form.
func (p *PublicIdentity) UnmarshalText(b []byte) error {
	if len(b) != 2*PublicIdentitySize {
		return fmt.Errorf("%w: identity key text is %d characters, want %d", ErrMalformed, len(b), 2*PublicIdentitySize)
	}
	var k PublicIdentity
	if _, err := hex.Decode(k[:], b); err != nil {
		return fmt.Errorf("%w: identity key text is not hex", ErrMalformed)
	}
	*p = k
	return nil
}

// IdentityKey is a user's long-term Ed25519 signing key. Create one with
// GenerateIdentityKey or NewIdentityKey; the zero value is not usable.
// Methods are safe for concurrent use except Wipe, which must not race
// with other calls.
type IdentityKey struct {
	priv ed25519.PrivateKey // seed ‖ public, 64 bytes; wiped by Wipe
	pub  PublicIdentity
}

// GenerateIdentityKey creates a new identity key from rnd (nil means
// crypto/rand).
func GenerateIdentityKey(rnd io.Reader) (*IdentityKey, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var seed [IdentitySeedSize]byte
	defer clear(seed[:])
	if _, err := io.ReadFull(rnd, seed[:]); err != nil {
		return nil, fmt.Errorf("e2ee: reading randomness: %w", err)
	}
	return NewIdentityKey(seed[:])
}

// NewIdentityKey derives the identity key from its IdentitySeedSize-byte
// seed. The caller keeps ownership of seed and should wipe it.
func NewIdentityKey(seed []byte) (*IdentityKey, error) {
	if len(seed) != IdentitySeedSize {
		return nil, fmt.Errorf("%w: identity seed is %d bytes, want %d", ErrMalformed, len(seed), IdentitySeedSize)
	}
	k := &IdentityKey{priv: ed25519.NewKeyFromSeed(seed)}
	copy(k.pub[:], k.priv[IdentitySeedSize:])
	return k, nil
}

// Public returns the public half.
func (k *IdentityKey) Public() PublicIdentity { return k.pub }

// Seed returns a copy of the secret seed, for persisting the key. The
// caller owns the copy and should clear it once written.
func (k *IdentityKey) Seed() []byte {
	return append([]byte(nil), k.priv[:IdentitySeedSize]...)
}

// Sign signs msg. It returns nil after Wipe.
func (k *IdentityKey) Sign(msg []byte) []byte {
	if k.wiped() {
		return nil
	}
	return ed25519.Sign(k.priv, msg)
}

func (k *IdentityKey) wiped() bool { return k == nil || len(k.priv) == 0 }

// Wipe overwrites the private key in memory; the key is unusable afterwards.
// See the package documentation for what Go does not let us wipe.
func (k *IdentityKey) Wipe() {
	if k == nil {
		return
	}
	clear(k.priv)
	k.priv = nil
}

// String redacts the secret and shows only the public fingerprint. It has
// a value receiver so that printing either *IdentityKey or IdentityKey
// never reaches the unexported key bytes.
func (k IdentityKey) String() string {
	return "IdentityKey(secret redacted, fingerprint " + k.pub.Fingerprint() + ")"
}

// Format redacts for every verb (%v, %+v, %x, %s, ...).
func (k IdentityKey) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }
