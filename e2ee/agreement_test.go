package e2ee

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// detRand returns a deterministic reader for exact tests.
func detRand(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

func mustIdentity(t testing.TB, seed byte) *IdentityKey {
	t.Helper()
	k, err := GenerateIdentityKey(detRand(seed + 100))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// party bundles what one side needs for a test agreement.
type party struct {
	id  *IdentityKey
	cfg Config
}

func newParties(t testing.TB, seed byte) (a, b party) {
	t.Helper()
	callID := CallID{1, 2, 3, seed}
	a.id, b.id = mustIdentity(t, 2*seed), mustIdentity(t, 2*seed+1)
	a.cfg = Config{Identity: a.id, CallID: callID, Rand: detRand(2 * seed)}
	b.cfg = Config{Identity: b.id, CallID: callID, Rand: detRand(2*seed + 1)}
	return a, b
}

// wire round-trips a message through its binary encoding, as the
// signaling channel would.
func wire[M interface {
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}](t testing.TB, in M, out M) M {
	t.Helper()
	b, err := in.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := out.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	return out
}

// run performs a whole agreement, returning both sessions and the messages.
func run(t testing.TB, a, b Config) (sa, sb *Session, m1 *Commit, m2 *Response, m3 *Reveal) {
	t.Helper()
	caller, err := NewCaller(a)
	if err != nil {
		t.Fatal(err)
	}
	callee, err := NewCallee(b)
	if err != nil {
		t.Fatal(err)
	}
	if m1, err = caller.Start(); err != nil {
		t.Fatal(err)
	}
	if m2, err = callee.Respond(wire(t, m1, new(Commit))); err != nil {
		t.Fatal(err)
	}
	if m3, sa, err = caller.Finish(wire(t, m2, new(Response))); err != nil {
		t.Fatal(err)
	}
	if sb, err = callee.Finish(wire(t, m3, new(Reveal))); err != nil {
		t.Fatal(err)
	}
	return sa, sb, m1, m2, m3
}

// checkChannel proves both directions share keys: each side opens what the
// other sealed, and nothing opens what its own side sealed.
func checkChannel(t *testing.T, sa, sb *Session) {
	t.Helper()
	for i, dir := range []struct{ from, to *Session }{{sa, sb}, {sb, sa}} {
		msg := fmt.Appendf(nil, "hello %d", i)
		env, err := dir.from.Seal(nil, msg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dir.to.Open(nil, env)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("direction %d: Open = %q, %v; want %q", i, got, err, msg)
		}
		env2, _ := dir.from.Seal(nil, msg)
		if _, err := dir.from.Open(nil, env2); !errors.Is(err, ErrAuth) {
			t.Fatalf("direction %d: reflected envelope: err = %v, want ErrAuth", i, err)
		}
	}
}

func TestAgreementHonest(t *testing.T) {
	for seed := range byte(8) {
		a, b := newParties(t, seed)
		sa, sb, _, _, _ := run(t, a.cfg, b.cfg)
		if !sa.SAS().Equal(sb.SAS()) {
			t.Fatalf("seed %d: SAS differ: %v vs %v", seed, sa.SAS(), sb.SAS())
		}
		if sa.TranscriptHash() != sb.TranscriptHash() {
			t.Fatalf("seed %d: transcripts differ", seed)
		}
		if !sa.Peer().Equal(b.id.Public()) || !sb.Peer().Equal(a.id.Public()) ||
			!sa.Local().Equal(a.id.Public()) || !sb.Local().Equal(b.id.Public()) {
			t.Fatalf("seed %d: identities wrong", seed)
		}
		if sa.CallID() != a.cfg.CallID || sb.CallID() != a.cfg.CallID {
			t.Fatalf("seed %d: call IDs wrong", seed)
		}
		checkChannel(t, sa, sb)
	}
}

func TestAgreementSystemRandomness(t *testing.T) {
	a, b := newParties(t, 9)
	a.cfg.Rand, b.cfg.Rand = nil, nil // production path: crypto/rand + mlkem.Encapsulate
	sa, sb, _, _, _ := run(t, a.cfg, b.cfg)
	if !sa.SAS().Equal(sb.SAS()) {
		t.Fatal("SAS differ")
	}
	checkChannel(t, sa, sb)
	sa2, _, _, _, _ := run(t, a.cfg, b.cfg)
	if sa2.TranscriptHash() == sa.TranscriptHash() {
		t.Fatal("two runs with system randomness gave the same transcript")
	}
}

// TestMITMSubstitution: Mallory relays between Alice and Bob, running one
// agreement with each under her own identity keys (as a lying server would
// on first contact). Both agreements succeed, but the SAS values differ.
func TestMITMSubstitution(t *testing.T) {
	for seed := range byte(16) {
		a, b := newParties(t, seed)
		m1 := Config{Identity: mustIdentity(t, 200), CallID: a.cfg.CallID, Rand: detRand(50 + seed)} // poses as Bob
		m2 := Config{Identity: mustIdentity(t, 201), CallID: a.cfg.CallID, Rand: detRand(90 + seed)} // poses as Alice

		alice, _ := NewCaller(a.cfg)
		bob, _ := NewCallee(b.cfg)
		malToAlice, _ := NewCallee(m1)
		malToBob, _ := NewCaller(m2)

		c1, err := alice.Start()
		if err != nil {
			t.Fatal(err)
		}
		c2, err := malToBob.Start() // Mallory must commit before Bob answers
		if err != nil {
			t.Fatal(err)
		}
		r2, err := bob.Respond(c2)
		if err != nil {
			t.Fatal(err)
		}
		r1, err := malToAlice.Respond(c1) // ...and answer Alice before she reveals
		if err != nil {
			t.Fatal(err)
		}
		v1, sAlice, err := alice.Finish(r1)
		if err != nil {
			t.Fatal(err)
		}
		sMalA, err := malToAlice.Finish(v1)
		if err != nil {
			t.Fatal(err)
		}
		v2, sMalB, err := malToBob.Finish(r2)
		if err != nil {
			t.Fatal(err)
		}
		sBob, err := bob.Finish(v2)
		if err != nil {
			t.Fatal(err)
		}
		if sAlice.SAS().Equal(sBob.SAS()) {
			t.Fatalf("seed %d: MITM went unnoticed: both SAS %v", seed, sAlice.SAS())
		}
		// Each half is internally consistent: Mallory can read both legs,
		// which is exactly why the users must compare the SAS.
		if !sAlice.SAS().Equal(sMalA.SAS()) || !sBob.SAS().Equal(sMalB.SAS()) {
			t.Fatalf("seed %d: half-agreements inconsistent", seed)
		}
		// The identities give it away too, for a store that knew them.
		if sAlice.Peer().Equal(b.id.Public()) || sBob.Peer().Equal(a.id.Public()) {
			t.Fatalf("seed %d: MITM identity not visible", seed)
		}
	}
}

// TestMITMKeepsIdentities: an attacker without the identity keys who swaps
// only an ephemeral key is caught by the signature at once.
func TestMITMKeepsIdentities(t *testing.T) {
	a, b := newParties(t, 3)
	alice, _ := NewCaller(a.cfg)
	bob, _ := NewCallee(b.cfg)
	c, _ := alice.Start()
	r, err := bob.Respond(c)
	if err != nil {
		t.Fatal(err)
	}
	r.X25519[0] ^= 1 // Mallory's own xB
	if _, _, err := alice.Finish(r); !errors.Is(err, ErrSignature) {
		t.Fatalf("err = %v, want ErrSignature", err)
	}
	if _, _, err := alice.Finish(r); !errors.Is(err, ErrState) {
		t.Fatalf("after abort: err = %v, want ErrState", err)
	}
}

func TestRevealMismatchAborts(t *testing.T) {
	a, b := newParties(t, 4)
	alice, _ := NewCaller(a.cfg)
	bob, _ := NewCallee(b.cfg)
	c, _ := alice.Start()
	r, _ := bob.Respond(c)
	v, _, err := alice.Finish(r)
	if err != nil {
		t.Fatal(err)
	}
	v.X25519[31] ^= 0x40 // any other key fails to open hA
	if _, err := bob.Finish(v); !errors.Is(err, ErrCommitment) {
		t.Fatalf("err = %v, want ErrCommitment", err)
	}
	v.X25519[31] ^= 0x40 // even the right one is refused after the abort
	if _, err := bob.Finish(v); !errors.Is(err, ErrState) {
		t.Fatalf("after abort: err = %v, want ErrState", err)
	}
}

// resign re-signs a Response as its named callee would over a transcript
// that starts with c, so tests can send well-signed hostile values.
func resign(c *Commit, r *Response, k *IdentityKey) {
	th := newTranscript()
	th.mix(c.appendBody(nil))
	th.mix(r.appendBody(nil))
	copy(r.Signature[:], k.Sign(th.signInput(labelSigResp)))
}

func TestAgreementRejects(t *testing.T) {
	other := mustIdentity(t, 77)
	type stage struct {
		cfg    func(a, b *party)
		commit func(c *Commit)
		resp   func(b *party, c *Commit, r *Response)
	}
	tests := []struct {
		name string
		stage
		want error
	}{
		{"commit signature bit", stage{commit: func(c *Commit) { c.Signature[5] ^= 1 }}, ErrSignature},
		{"commit claims other identity", stage{commit: func(c *Commit) { c.Caller = other.Public() }}, ErrSignature},
		{"commit ekA altered", stage{commit: func(c *Commit) { c.EncapsulationKey[100] ^= 1 }}, ErrSignature},
		{"commit hA altered", stage{commit: func(c *Commit) { c.Commitment[0] ^= 1 }}, ErrSignature},
		{"commit other call", stage{commit: func(c *Commit) { c.CallID[0] ^= 1 }}, ErrCallID},
		{"response ct altered", stage{resp: func(_ *party, _ *Commit, r *Response) { r.Ciphertext[7] ^= 1 }}, ErrSignature},
		{"response xB altered", stage{resp: func(_ *party, _ *Commit, r *Response) { r.X25519[9] ^= 1 }}, ErrSignature},
		{"response signed by other key", stage{resp: func(_ *party, c *Commit, r *Response) { resign(c, r, other) }}, ErrSignature},
		{"response claims other identity", stage{resp: func(_ *party, _ *Commit, r *Response) { r.Callee = other.Public() }}, ErrSignature},
		{"response other call", stage{resp: func(_ *party, _ *Commit, r *Response) { r.CallID[15] ^= 1 }}, ErrCallID},
		{"response low-order X25519", stage{resp: func(b *party, c *Commit, r *Response) {
			r.X25519 = [32]byte{} // the zero point: all-zero shared secret
			resign(c, r, b.id)
		}}, ErrBadKey},
		{"expected callee", stage{cfg: func(a, _ *party) { a.cfg.PeerIdentity = other.Public() }}, ErrUnexpectedPeer},
		{"expected caller", stage{cfg: func(_, b *party) { b.cfg.PeerIdentity = other.Public() }}, ErrUnexpectedPeer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := newParties(t, 5)
			if tt.cfg != nil {
				tt.cfg(&a, &b)
			}
			alice, _ := NewCaller(a.cfg)
			bob, _ := NewCallee(b.cfg)
			c, err := alice.Start()
			if err != nil {
				t.Fatal(err)
			}
			if tt.commit != nil {
				tt.commit(c)
			}
			r, err := bob.Respond(c)
			if err != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("Respond: err = %v, want %v", err, tt.want)
				}
				return
			}
			if tt.resp != nil {
				tt.resp(&b, c, r)
			}
			if _, _, err = alice.Finish(r); !errors.Is(err, tt.want) {
				t.Fatalf("Finish: err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestAgreementRevealSignature(t *testing.T) {
	a, b := newParties(t, 6)
	alice, _ := NewCaller(a.cfg)
	bob, _ := NewCallee(b.cfg)
	c, _ := alice.Start()
	r, _ := bob.Respond(c)
	v, _, _ := alice.Finish(r)
	v.Signature[0] ^= 1
	if _, err := bob.Finish(v); !errors.Is(err, ErrSignature) {
		t.Fatalf("err = %v, want ErrSignature", err)
	}
}

func TestAgreementState(t *testing.T) {
	a, b := newParties(t, 7)
	if _, err := NewCaller(Config{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("NewCaller without identity: %v", err)
	}
	if _, err := NewCallee(Config{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("NewCallee without identity: %v", err)
	}
	alice, _ := NewCaller(a.cfg)
	if _, _, err := alice.Finish(&Response{}); !errors.Is(err, ErrState) {
		t.Fatalf("Finish before Start: %v", err)
	}
	alice, _ = NewCaller(a.cfg)
	c, _ := alice.Start()
	if _, err := alice.Start(); !errors.Is(err, ErrState) {
		t.Fatalf("second Start: %v", err)
	}
	bob, _ := NewCallee(b.cfg)
	if _, err := bob.Finish(&Reveal{}); !errors.Is(err, ErrState) {
		t.Fatalf("Finish before Respond: %v", err)
	}
	bob, _ = NewCallee(b.cfg)
	if _, err := bob.Respond(nil); !errors.Is(err, ErrState) {
		t.Fatalf("Respond(nil): %v", err)
	}
	bob, _ = NewCallee(b.cfg)
	if _, err := bob.Respond(c); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Respond(c); !errors.Is(err, ErrState) {
		t.Fatalf("second Respond: %v", err)
	}
	short := Config{Identity: a.id, Rand: bytes.NewReader(make([]byte, 10))}
	alice, _ = NewCaller(short)
	if _, err := alice.Start(); err == nil {
		t.Fatal("Start with exhausted randomness succeeded")
	}
}

func TestAgreementClose(t *testing.T) {
	a, b := newParties(t, 8)
	alice, _ := NewCaller(a.cfg)
	c, _ := alice.Start()
	alice.Close()
	if _, _, err := alice.Finish(&Response{CallID: c.CallID}); !errors.Is(err, ErrState) {
		t.Fatalf("Finish after Close: %v", err)
	}
	bob, _ := NewCallee(b.cfg)
	bob.Close()
	if _, err := bob.Respond(c); !errors.Is(err, ErrState) {
		t.Fatalf("Respond after Close: %v", err)
	}
}

// TestCommitHidesX25519: message 1 carries only the commitment, never
// xA_pub itself, and message 2 is computed without it — the ordering the
// one-guess argument rests on.
func TestCommitHidesX25519(t *testing.T) {
	a, b := newParties(t, 12)
	_, _, m1, m2, m3 := run(t, a.cfg, b.cfg)
	b1, _ := m1.MarshalBinary()
	b2, _ := m2.MarshalBinary()
	if bytes.Contains(b1, m3.X25519[:]) || bytes.Contains(b2, m3.X25519[:]) {
		t.Fatal("xA_pub appears before the reveal")
	}
	// The callee's answer is the same whatever xA the caller will reveal:
	// rerun the callee on the same commit with the same randomness.
	b.cfg.Rand = detRand(2*12 + 1)
	callee, _ := NewCallee(b.cfg)
	again, err := callee.Respond(m1)
	if err != nil {
		t.Fatal(err)
	}
	if *again != *m2 {
		t.Fatal("callee response not a function of message 1 and its own randomness")
	}
}

func TestAgreementWipedIdentity(t *testing.T) {
	a, _ := newParties(t, 13)
	alice, _ := NewCaller(a.cfg)
	a.id.Wipe()
	if _, err := alice.Start(); !errors.Is(err, ErrConfig) {
		t.Fatalf("Start with a wiped identity: %v", err)
	}
}
