package e2ee

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/mlkem"
	"crypto/mlkem/mlkemtest"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
)

// Spec constants: protocol name and domain-separation labels. Changing any
// of them changes the protocol; bump the name and WireVersion together.
const (
	// ProtocolName seeds the transcript hash: th0 = H(ProtocolName).
	ProtocolName = "Parley-E2EE-v1 X25519+MLKEM768 Ed25519 SHA-256 HKDF ChaCha20-Poly1305"

	labelCommitment = "parley commitment v1\x00"
	labelSigCommit  = "parley signature commit v1\x00"
	labelSigResp    = "parley signature response v1\x00"
	labelSigReveal  = "parley signature reveal v1\x00"
	labelSession    = "parley session v1\x00"
	labelCallerKey  = "caller to callee"
	labelCalleeKey  = "callee to caller"
	labelSAS        = "parley sas v1\x00"

	// SessionKeySize is the size of each direction's AEAD key.
	SessionKeySize = 32

	mlkemSeedSize       = mlkem.SeedSize // 64: d ‖ z of FIPS 203
	mlkemEncapsRandSize = 32             // m of FIPS 203 ML-KEM.Encaps_internal
)

// Config configures one side of one agreement.
type Config struct {
	// Identity signs this side's messages. Required. The agreement does not
	// wipe it: identities outlive calls.
	Identity *IdentityKey

	// CallID names the call; both sides must use the same one. The zero
	// value is allowed but gives no cross-call separation; use NewCallID.
	CallID CallID

	// PeerIdentity, if non-zero, is the identity the peer must present;
	// any other key aborts with ErrUnexpectedPeer. Zero accepts any key
	// (first contact): check Session.Peer against a Store afterwards.
	PeerIdentity PublicIdentity

	// Rand supplies all ephemeral randomness. Nil (production) uses the
	// system CSPRNG and ML-KEM's own encapsulation. Non-nil makes the
	// agreement a deterministic function of Rand's bytes, for tests and
	// test vectors; encapsulation then uses crypto/mlkem/mlkemtest, which
	// FIPS 140-only mode forbids.
	Rand io.Reader
}

func (c *Config) check() error {
	if c.Identity == nil || c.Identity.wiped() {
		return fmt.Errorf("%w: Identity is required", ErrConfig)
	}
	return nil
}

func (c *Config) read(b []byte) error {
	r := c.Rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, b); err != nil {
		return fmt.Errorf("e2ee: reading randomness: %w", err)
	}
	return nil
}

// transcript is the running hash th_i = H(th_{i-1} ‖ body_i).
type transcript [sha256.Size]byte

func newTranscript() (t transcript) { return sha256.Sum256([]byte(ProtocolName)) }

func (t *transcript) mix(body []byte) {
	h := sha256.New()
	h.Write(t[:])
	h.Write(body)
	h.Sum(t[:0])
}

// signInput is label ‖ th_i: what the sender of message i signs.
func (t *transcript) signInput(label string) []byte {
	return append([]byte(label), t[:]...)
}

// commitment computes hA = H(label ‖ xA_pub ‖ context) with
// context = th0 ‖ call ID ‖ caller identity.
func commitment(xPub []byte, id CallID, caller PublicIdentity) (c [CommitmentSize]byte) {
	th0 := newTranscript()
	h := sha256.New()
	h.Write([]byte(labelCommitment))
	h.Write(xPub)
	h.Write(th0[:])
	h.Write(id[:])
	h.Write(caller[:])
	h.Sum(c[:0])
	return c
}

// sign signs msg into sig, failing if the identity was wiped meanwhile.
func sign(k *IdentityKey, msg []byte, sig *[SignatureSize]byte) error {
	if k.wiped() {
		return fmt.Errorf("%w: identity key was wiped", ErrConfig)
	}
	copy(sig[:], k.Sign(msg))
	return nil
}

type state uint8

const (
	stateNew state = iota
	stateWaiting
	stateDone
	stateFailed
)

// Caller runs the caller's side: Start, then Finish. Create with NewCaller.
// Single use; not safe for concurrent use. Any error is final: the Caller
// wipes its secrets and every later call returns ErrState.
type Caller struct {
	cfg   Config
	st    state
	th    transcript
	x     *ecdh.PrivateKey // xA; see package doc on wiping
	xPub  [X25519KeySize]byte
	dk    *mlkem.DecapsulationKey768
	start Commit
}

// NewCaller checks cfg and returns a Caller ready to Start.
func NewCaller(cfg Config) (*Caller, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &Caller{cfg: cfg}, nil
}

// Start produces message 1. It draws xA and the ML-KEM seed from cfg.Rand.
func (c *Caller) Start() (*Commit, error) {
	if c.st != stateNew {
		return nil, c.fail(ErrState)
	}
	var seed [X25519KeySize + mlkemSeedSize]byte
	defer clear(seed[:])
	if err := c.cfg.read(seed[:]); err != nil {
		return nil, c.fail(err)
	}
	var err error
	// xA: ephemeral X25519 secret; xA_pub stays hidden until message 3.
	if c.x, err = ecdh.X25519().NewPrivateKey(seed[:X25519KeySize]); err != nil {
		return nil, c.fail(err)
	}
	copy(c.xPub[:], c.x.PublicKey().Bytes())
	// dkA/ekA: ephemeral ML-KEM-768 key pair from a 64-byte seed.
	if c.dk, err = mlkem.NewDecapsulationKey768(seed[X25519KeySize:]); err != nil {
		return nil, c.fail(err)
	}
	m := &Commit{CallID: c.cfg.CallID, Caller: c.cfg.Identity.Public()}
	copy(m.EncapsulationKey[:], c.dk.EncapsulationKey().Bytes())
	// hA commits to xA_pub before the caller sees anything of the callee's.
	m.Commitment = commitment(c.xPub[:], m.CallID, m.Caller)
	// th1 = H(th0 ‖ body1); the caller signs it.
	c.th = newTranscript()
	c.th.mix(m.appendBody(nil))
	if err := sign(c.cfg.Identity, c.th.signInput(labelSigCommit), &m.Signature); err != nil {
		return nil, c.fail(err)
	}
	c.start = *m
	c.st = stateWaiting
	return m, nil
}

// Finish consumes message 2 and produces message 3 and the Session. On
// error nothing must be sent and the call must be abandoned.
func (c *Caller) Finish(r *Response) (*Reveal, *Session, error) {
	if c.st != stateWaiting || r == nil {
		return nil, nil, c.fail(ErrState)
	}
	// The response must belong to this call and come from the expected callee.
	if subtle.ConstantTimeCompare(r.CallID[:], c.cfg.CallID[:]) != 1 {
		return nil, nil, c.fail(ErrCallID)
	}
	if !c.cfg.PeerIdentity.IsZero() && !r.Callee.Equal(c.cfg.PeerIdentity) {
		return nil, nil, c.fail(ErrUnexpectedPeer)
	}
	// th2 = H(th1 ‖ body2), signed by the callee.
	c.th.mix(r.appendBody(nil))
	if !r.Callee.Verify(c.th.signInput(labelSigResp), r.Signature[:]) {
		return nil, nil, c.fail(ErrSignature)
	}
	// Both secrets: X25519(xA, xB) and Decapsulate(dkA, ct).
	xB, err := ecdh.X25519().NewPublicKey(r.X25519[:])
	if err != nil {
		return nil, nil, c.fail(fmt.Errorf("%w: X25519 key: %v", ErrBadKey, err))
	}
	dh, err := c.x.ECDH(xB)
	if err != nil {
		return nil, nil, c.fail(fmt.Errorf("%w: X25519: %v", ErrBadKey, err))
	}
	defer clear(dh)
	ss, err := c.dk.Decapsulate(r.Ciphertext[:])
	if err != nil {
		return nil, nil, c.fail(fmt.Errorf("%w: ML-KEM ciphertext: %v", ErrMalformed, err))
	}
	defer clear(ss)
	// Message 3 reveals xA_pub; th3 = H(th2 ‖ body3), signed by the caller.
	m := &Reveal{CallID: c.cfg.CallID, X25519: c.xPub}
	c.th.mix(m.appendBody(nil))
	if err := sign(c.cfg.Identity, c.th.signInput(labelSigReveal), &m.Signature); err != nil {
		return nil, nil, c.fail(err)
	}
	s, err := newSession(roleCaller, c.cfg.CallID, c.start.Caller, r.Callee, &c.th, dh, ss)
	if err != nil {
		return nil, nil, c.fail(err)
	}
	c.st = stateDone
	c.wipe()
	return m, s, nil
}

// Close abandons the agreement (for example when the call is cancelled
// before it completes) and drops its secrets. It is safe to call at any
// point; later calls of Start and Finish return ErrState.
func (c *Caller) Close() error {
	if c.st != stateDone {
		c.st = stateFailed
	}
	c.wipe()
	return nil
}

func (c *Caller) fail(err error) error {
	c.st = stateFailed
	c.wipe()
	return err
}

// wipe drops the ephemeral secrets. ecdh and mlkem keep their own copies
// in unexported fields we cannot zero; we drop the references.
func (c *Caller) wipe() {
	c.x, c.dk = nil, nil
}

// Callee runs the callee's side: Respond, then Finish. Create with
// NewCallee. Single use; not safe for concurrent use. Any error is final.
type Callee struct {
	cfg    Config
	st     state
	th     transcript
	commit Commit
	peer   PublicIdentity
	x      *ecdh.PrivateKey // xB, kept until Finish computes X25519(xB, xA)
	ss     [32]byte         // ML-KEM shared secret
}

// NewCallee checks cfg and returns a Callee ready to Respond.
func NewCallee(cfg Config) (*Callee, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &Callee{cfg: cfg}, nil
}

// Respond consumes message 1 and produces message 2.
func (c *Callee) Respond(m *Commit) (*Response, error) {
	if c.st != stateNew || m == nil {
		return nil, c.fail(ErrState)
	}
	if subtle.ConstantTimeCompare(m.CallID[:], c.cfg.CallID[:]) != 1 {
		return nil, c.fail(ErrCallID)
	}
	if !c.cfg.PeerIdentity.IsZero() && !m.Caller.Equal(c.cfg.PeerIdentity) {
		return nil, c.fail(ErrUnexpectedPeer)
	}
	// th1 = H(th0 ‖ body1), signed by the caller.
	c.th = newTranscript()
	c.th.mix(m.appendBody(nil))
	if !m.Caller.Verify(c.th.signInput(labelSigCommit), m.Signature[:]) {
		return nil, c.fail(ErrSignature)
	}
	ek, err := mlkem.NewEncapsulationKey768(m.EncapsulationKey[:])
	if err != nil {
		return nil, c.fail(fmt.Errorf("%w: ML-KEM encapsulation key: %v", ErrBadKey, err))
	}
	var seed [X25519KeySize + mlkemEncapsRandSize]byte
	defer clear(seed[:])
	if err := c.cfg.read(seed[:]); err != nil {
		return nil, c.fail(err)
	}
	// xB: ephemeral X25519 secret, chosen knowing only hA, not xA_pub.
	if c.x, err = ecdh.X25519().NewPrivateKey(seed[:X25519KeySize]); err != nil {
		return nil, c.fail(err)
	}
	// ct = Encapsulate(ekA), likewise fixed before xA_pub is revealed.
	var ss, ct []byte
	if c.cfg.Rand == nil {
		ss, ct = ek.Encapsulate()
	} else if ss, ct, err = mlkemtest.Encapsulate768(ek, seed[X25519KeySize:]); err != nil {
		return nil, c.fail(err)
	}
	copy(c.ss[:], ss)
	clear(ss)
	r := &Response{CallID: c.cfg.CallID, Callee: c.cfg.Identity.Public()}
	copy(r.X25519[:], c.x.PublicKey().Bytes())
	copy(r.Ciphertext[:], ct)
	// th2 = H(th1 ‖ body2); the callee signs it.
	c.th.mix(r.appendBody(nil))
	if err := sign(c.cfg.Identity, c.th.signInput(labelSigResp), &r.Signature); err != nil {
		return nil, c.fail(err)
	}
	c.commit = *m
	c.st = stateWaiting
	return r, nil
}

// Finish consumes message 3: it opens the commitment, checks the caller's
// signature over the whole transcript and returns the Session.
func (c *Callee) Finish(m *Reveal) (*Session, error) {
	if c.st != stateWaiting || m == nil {
		return nil, c.fail(ErrState)
	}
	if subtle.ConstantTimeCompare(m.CallID[:], c.cfg.CallID[:]) != 1 {
		return nil, c.fail(ErrCallID)
	}
	// The reveal must open hA, or the agreement aborts.
	h := commitment(m.X25519[:], c.commit.CallID, c.commit.Caller)
	if subtle.ConstantTimeCompare(h[:], c.commit.Commitment[:]) != 1 {
		return nil, c.fail(ErrCommitment)
	}
	// th3 = H(th2 ‖ body3), signed by the caller.
	c.th.mix(m.appendBody(nil))
	if !c.commit.Caller.Verify(c.th.signInput(labelSigReveal), m.Signature[:]) {
		return nil, c.fail(ErrSignature)
	}
	xA, err := ecdh.X25519().NewPublicKey(m.X25519[:])
	if err != nil {
		return nil, c.fail(fmt.Errorf("%w: X25519 key: %v", ErrBadKey, err))
	}
	dh, err := c.x.ECDH(xA)
	if err != nil {
		return nil, c.fail(fmt.Errorf("%w: X25519: %v", ErrBadKey, err))
	}
	defer clear(dh)
	s, err := newSession(roleCallee, c.cfg.CallID, c.commit.Caller, c.cfg.Identity.Public(), &c.th, dh, c.ss[:])
	if err != nil {
		return nil, c.fail(err)
	}
	c.st = stateDone
	c.wipe()
	return s, nil
}

// Close abandons the agreement and drops its secrets, like Caller.Close.
func (c *Callee) Close() error {
	if c.st != stateDone {
		c.st = stateFailed
	}
	c.wipe()
	return nil
}

func (c *Callee) fail(err error) error {
	c.st = stateFailed
	c.wipe()
	return err
}

func (c *Callee) wipe() {
	c.x = nil
	clear(c.ss[:])
}

// deriveKeys runs HKDF-SHA-256: PRK = Extract(salt = th3, IKM = dh ‖ ss),
// then one Expand per direction with info = label ‖ call ID ‖ caller
// identity ‖ callee identity ‖ direction.
func deriveKeys(th *transcript, id CallID, caller, callee PublicIdentity, dh, ss []byte) (c2e, e2c [SessionKeySize]byte, err error) {
	ikm := make([]byte, 0, len(dh)+len(ss))
	ikm = append(append(ikm, dh...), ss...)
	defer clear(ikm)
	prk, err := hkdf.Extract(sha256.New, ikm, th[:])
	if err != nil {
		return c2e, e2c, err
	}
	defer clear(prk)
	info := labelSession + string(id[:]) + string(caller[:]) + string(callee[:])
	k1, err := hkdf.Expand(sha256.New, prk, info+labelCallerKey, SessionKeySize)
	if err != nil {
		return c2e, e2c, err
	}
	k2, err := hkdf.Expand(sha256.New, prk, info+labelCalleeKey, SessionKeySize)
	if err != nil {
		return c2e, e2c, err
	}
	copy(c2e[:], k1)
	copy(e2c[:], k2)
	clear(k1)
	clear(k2)
	return c2e, e2c, nil
}
