package e2ee

import (
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"unsafe"

	"golang.org/x/crypto/chacha20poly1305"
)

// Spec constants: the envelope wire format.
//
//	envelope = version(1) ‖ seq(8, big-endian) ‖ ChaCha20-Poly1305(key_dir, nonce, plaintext, ad = version ‖ seq)
//	nonce    = 0x00000000 ‖ seq (8, little-endian)
//
// Each direction has its own key, so a reflected envelope fails
// authentication. Sequence numbers start at 0 and increase by one; the
// receiver accepts exactly the next one (strict in-order delivery, which
// the signaling channel — a WebSocket over TCP — provides).
const (
	envelopeHeaderSize = 1 + 8
	envelopeTagSize    = chacha20poly1305.Overhead

	// EnvelopeOverhead is the size of an envelope minus its plaintext.
	EnvelopeOverhead = envelopeHeaderSize + envelopeTagSize

	// MaxPlaintextSize bounds one envelope's plaintext. Signaling payloads
	// (SDP, candidates) are a few KiB; the bound keeps a hostile peer
	// from making us authenticate megabytes.
	MaxPlaintextSize = 64 << 10

	// maxSeq is never used: after sending seq maxSeq-1 the sender refuses.
	maxSeq = math.MaxUint64
)

// sealer is one sending direction. mu guards everything.
type sealer struct {
	mu    sync.Mutex
	aead  cipher.AEAD // nil once closed
	seq   uint64
	nonce [chacha20poly1305.NonceSize]byte // scratch, avoids an allocation
}

func (s *sealer) init(key *[SessionKeySize]byte) error {
	a, err := chacha20poly1305.New(key[:])
	if err != nil {
		return fmt.Errorf("e2ee: envelope cipher: %w", err)
	}
	s.aead = a
	return nil
}

func (s *sealer) seal(dst, plaintext []byte) ([]byte, error) {
	if len(plaintext) > MaxPlaintextSize {
		return nil, fmt.Errorf("%w: plaintext is %d bytes, limit %d", ErrTooLarge, len(plaintext), MaxPlaintextSize)
	}
	ret, out := sliceForAppend(dst, len(plaintext)+EnvelopeOverhead)
	if overlaps(out, plaintext) {
		return nil, fmt.Errorf("%w: Seal output overlaps plaintext", ErrConfig)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aead == nil {
		return nil, ErrClosed
	}
	if s.seq == maxSeq {
		return nil, ErrExhausted
	}
	seq := s.seq
	s.seq++
	out[0] = WireVersion
	binary.BigEndian.PutUint64(out[1:envelopeHeaderSize], seq)
	binary.LittleEndian.PutUint64(s.nonce[4:], seq)
	s.aead.Seal(out[envelopeHeaderSize:envelopeHeaderSize], s.nonce[:], plaintext, out[:envelopeHeaderSize])
	return ret, nil
}

func (s *sealer) close() {
	s.mu.Lock()
	s.aead = nil // the cipher's key copy is unexported; dropped, not zeroed
	s.mu.Unlock()
}

// opener is one receiving direction. mu guards everything.
type opener struct {
	mu    sync.Mutex
	aead  cipher.AEAD
	next  uint64 // the only sequence number Open accepts
	nonce [chacha20poly1305.NonceSize]byte
}

func (o *opener) init(key *[SessionKeySize]byte) error {
	a, err := chacha20poly1305.New(key[:])
	if err != nil {
		return fmt.Errorf("e2ee: envelope cipher: %w", err)
	}
	o.aead = a
	return nil
}

func (o *opener) open(dst, env []byte) ([]byte, error) {
	if len(env) < 1 {
		return nil, fmt.Errorf("%w: empty envelope", ErrMalformed)
	}
	if env[0] != WireVersion {
		return nil, fmt.Errorf("%w: envelope version %d", ErrVersion, env[0])
	}
	if len(env) < EnvelopeOverhead {
		return nil, fmt.Errorf("%w: envelope truncated (%d bytes, minimum %d)", ErrMalformed, len(env), EnvelopeOverhead)
	}
	if len(env)-EnvelopeOverhead > MaxPlaintextSize {
		return nil, fmt.Errorf("%w: envelope is %d bytes", ErrTooLarge, len(env))
	}
	_, out := sliceForAppend(dst, len(env)-EnvelopeOverhead)
	if overlaps(out, env) {
		return nil, fmt.Errorf("%w: Open output overlaps envelope", ErrConfig)
	}
	seq := binary.BigEndian.Uint64(env[1:envelopeHeaderSize])
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.aead == nil {
		return nil, ErrClosed
	}
	// Authenticate first, so the error says what really happened: a
	// tampered header or body is ErrAuth, a genuine old envelope ErrReplay.
	binary.LittleEndian.PutUint64(o.nonce[4:], seq)
	ret, err := o.aead.Open(dst, o.nonce[:], env[envelopeHeaderSize:], env[:envelopeHeaderSize])
	if err != nil {
		return nil, ErrAuth
	}
	switch {
	case seq < o.next:
		clear(ret[len(dst):])
		return nil, fmt.Errorf("%w: sequence %d, expected %d", ErrReplay, seq, o.next)
	case seq > o.next:
		clear(ret[len(dst):])
		return nil, fmt.Errorf("%w: sequence %d, expected %d", ErrReorder, seq, o.next)
	}
	o.next++
	return ret, nil
}

func (o *opener) close() {
	o.mu.Lock()
	o.aead = nil
	o.mu.Unlock()
}

// sliceForAppend extends in by n bytes, reusing capacity when it can; out
// is the new tail. (The same helper as the standard library's AEADs.)
func sliceForAppend(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	tail = head[len(in):]
	return head, tail
}

// overlaps reports whether x and y share memory, which the AEAD forbids
// except for exact in-place use (impossible here because of the header).
func overlaps(x, y []byte) bool {
	if len(x) == 0 || len(y) == 0 {
		return false
	}
	xs := uintptr(unsafe.Pointer(unsafe.SliceData(x)))
	ys := uintptr(unsafe.Pointer(unsafe.SliceData(y)))
	return xs < ys+uintptr(len(y)) && ys < xs+uintptr(len(x))
}
