package e2ee

import (
	"crypto/ed25519"
	"crypto/mlkem"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
)

// Spec constants: the wire layout of the three agreement messages. Every
// message is fixed-size: version ‖ type ‖ call ID ‖ fields ‖ signature, all
// integers big-endian, no padding. The signature covers the running
// transcript hash (see the package documentation), not just the bytes.
const (
	// WireVersion is the first byte of every agreement message and envelope.
	WireVersion byte = 1

	// CallIDSize is the size of a CallID.
	CallIDSize = 16
	// X25519KeySize is the size of an X25519 public key.
	X25519KeySize = 32
	// CommitmentSize is the size of the caller's commitment hA (SHA-256).
	CommitmentSize = 32
	// SignatureSize is the size of an Ed25519 signature.
	SignatureSize = ed25519.SignatureSize
	// EncapsulationKeySize is the size of an ML-KEM-768 encapsulation key.
	EncapsulationKeySize = mlkem.EncapsulationKeySize768
	// KEMCiphertextSize is the size of an ML-KEM-768 ciphertext.
	KEMCiphertextSize = mlkem.CiphertextSize768

	typeCommit   byte = 1 // message 1, caller → callee
	typeResponse byte = 2 // message 2, callee → caller
	typeReveal   byte = 3 // message 3, caller → callee

	headerSize = 2 + CallIDSize

	// CommitSize is the encoded size of a Commit (message 1).
	CommitSize = headerSize + PublicIdentitySize + EncapsulationKeySize + CommitmentSize + SignatureSize
	// ResponseSize is the encoded size of a Response (message 2).
	ResponseSize = headerSize + PublicIdentitySize + X25519KeySize + KEMCiphertextSize + SignatureSize
	// RevealSize is the encoded size of a Reveal (message 3).
	RevealSize = headerSize + X25519KeySize + SignatureSize
)

// CallID names one call; it is bound into the commitment, the transcript and
// the session keys, so messages of one call cannot be replayed into another.
// The caller picks it (NewCallID) and the signaling layer carries it.
type CallID [CallIDSize]byte

// NewCallID returns a random CallID drawn from rnd (nil means crypto/rand).
func NewCallID(rnd io.Reader) (CallID, error) {
	var id CallID
	if rnd == nil {
		rnd = rand.Reader
	}
	if _, err := io.ReadFull(rnd, id[:]); err != nil {
		return id, fmt.Errorf("e2ee: reading randomness: %w", err)
	}
	return id, nil
}

// String returns the ID in hex.
func (c CallID) String() string { return hex.EncodeToString(c[:]) }

// MarshalText encodes the ID as 32 lowercase hex digits.
func (c CallID) MarshalText() ([]byte, error) { return hex.AppendEncode(nil, c[:]), nil }

// UnmarshalText decodes the MarshalText form.
func (c *CallID) UnmarshalText(b []byte) error {
	if len(b) != 2*CallIDSize {
		return fmt.Errorf("%w: call ID text is %d characters, want %d", ErrMalformed, len(b), 2*CallIDSize)
	}
	var id CallID
	if _, err := hex.Decode(id[:], b); err != nil {
		return fmt.Errorf("%w: call ID text is not hex", ErrMalformed)
	}
	*c = id
	return nil
}

// Commit is message 1, caller → callee: the caller's identity, its ML-KEM-768
// encapsulation key ekA and the commitment hA = H(label ‖ xA_pub ‖ context).
// The zero value is an empty message; fill it with Caller.Start or UnmarshalBinary.
type Commit struct {
	CallID           CallID
	Caller           PublicIdentity
	EncapsulationKey [EncapsulationKeySize]byte
	Commitment       [CommitmentSize]byte
	Signature        [SignatureSize]byte
}

// Response is message 2, callee → caller: the callee's identity, its X25519
// public key xB_pub and the ML-KEM ciphertext ct = Encapsulate(ekA), both
// fixed before the callee can know xA_pub.
type Response struct {
	CallID     CallID
	Callee     PublicIdentity
	X25519     [X25519KeySize]byte
	Ciphertext [KEMCiphertextSize]byte
	Signature  [SignatureSize]byte
}

// Reveal is message 3, caller → callee: the caller's X25519 public key
// xA_pub, which must open the commitment of message 1.
type Reveal struct {
	CallID    CallID
	X25519    [X25519KeySize]byte
	Signature [SignatureSize]byte
}

// appendBody appends everything but the signature: the signed and hashed part.
func (m *Commit) appendBody(b []byte) []byte {
	b = append(b, WireVersion, typeCommit)
	b = append(b, m.CallID[:]...)
	b = append(b, m.Caller[:]...)
	b = append(b, m.EncapsulationKey[:]...)
	return append(b, m.Commitment[:]...)
}

func (m *Response) appendBody(b []byte) []byte {
	b = append(b, WireVersion, typeResponse)
	b = append(b, m.CallID[:]...)
	b = append(b, m.Callee[:]...)
	b = append(b, m.X25519[:]...)
	return append(b, m.Ciphertext[:]...)
}

func (m *Reveal) appendBody(b []byte) []byte {
	b = append(b, WireVersion, typeReveal)
	b = append(b, m.CallID[:]...)
	return append(b, m.X25519[:]...)
}

// AppendBinary appends the CommitSize-byte encoding of m to b.
func (m *Commit) AppendBinary(b []byte) ([]byte, error) {
	return append(m.appendBody(b), m.Signature[:]...), nil
}

// MarshalBinary returns the CommitSize-byte encoding of m.
func (m *Commit) MarshalBinary() ([]byte, error) { return m.AppendBinary(make([]byte, 0, CommitSize)) }

// UnmarshalBinary decodes a Commit. It checks only the framing (length,
// version, type); the agreement checks keys and signatures.
func (m *Commit) UnmarshalBinary(b []byte) error {
	r, err := newMsgReader(b, CommitSize, typeCommit)
	if err != nil {
		return err
	}
	r.read(m.CallID[:])
	r.read(m.Caller[:])
	r.read(m.EncapsulationKey[:])
	r.read(m.Commitment[:])
	r.read(m.Signature[:])
	return nil
}

// AppendBinary appends the ResponseSize-byte encoding of m to b.
func (m *Response) AppendBinary(b []byte) ([]byte, error) {
	return append(m.appendBody(b), m.Signature[:]...), nil
}

// MarshalBinary returns the ResponseSize-byte encoding of m.
func (m *Response) MarshalBinary() ([]byte, error) {
	return m.AppendBinary(make([]byte, 0, ResponseSize))
}

// UnmarshalBinary decodes a Response, checking only the framing.
func (m *Response) UnmarshalBinary(b []byte) error {
	r, err := newMsgReader(b, ResponseSize, typeResponse)
	if err != nil {
		return err
	}
	r.read(m.CallID[:])
	r.read(m.Callee[:])
	r.read(m.X25519[:])
	r.read(m.Ciphertext[:])
	r.read(m.Signature[:])
	return nil
}

// AppendBinary appends the RevealSize-byte encoding of m to b.
func (m *Reveal) AppendBinary(b []byte) ([]byte, error) {
	return append(m.appendBody(b), m.Signature[:]...), nil
}

// MarshalBinary returns the RevealSize-byte encoding of m.
func (m *Reveal) MarshalBinary() ([]byte, error) { return m.AppendBinary(make([]byte, 0, RevealSize)) }

// UnmarshalBinary decodes a Reveal, checking only the framing.
func (m *Reveal) UnmarshalBinary(b []byte) error {
	r, err := newMsgReader(b, RevealSize, typeReveal)
	if err != nil {
		return err
	}
	r.read(m.CallID[:])
	r.read(m.X25519[:])
	r.read(m.Signature[:])
	return nil
}

// msgReader walks a buffer whose length was checked up front, so read
// never runs past the end.
type msgReader struct{ b []byte }

func newMsgReader(b []byte, size int, typ byte) (msgReader, error) {
	if len(b) < 2 {
		return msgReader{}, fmt.Errorf("%w: agreement message truncated (%d bytes)", ErrMalformed, len(b))
	}
	if b[0] != WireVersion {
		return msgReader{}, fmt.Errorf("%w: %d", ErrVersion, b[0])
	}
	if b[1] != typ {
		return msgReader{}, fmt.Errorf("%w: got type %d, want %d", ErrMessageType, b[1], typ)
	}
	if len(b) != size {
		return msgReader{}, fmt.Errorf("%w: agreement message type %d is %d bytes, want %d", ErrMalformed, typ, len(b), size)
	}
	return msgReader{b: b[2:]}, nil
}

func (r *msgReader) read(dst []byte) { r.b = r.b[copy(dst, r.b):] }
