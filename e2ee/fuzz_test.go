package e2ee

import (
	"bytes"
	"errors"
	"testing"
)

// fuzzParties returns a fixed honest run, for seeds, and the parties'
// configs. Call fresh(cfg) inside the fuzz function for a config with a
// fresh Rand stream, so each iteration is independent and cheap.
func fuzzParties(t testing.TB) (a, b party, m1 *Commit, m2 *Response, m3 *Reveal) {
	a, b = newParties(t, 21)
	_, _, m1, m2, m3 = run(t, a.cfg, b.cfg)
	return a, b, m1, m2, m3
}

func fresh(p party, seed byte) Config {
	c := p.cfg
	c.Rand = detRand(seed)
	return c
}

// resignCommit re-signs a Commit as the named caller would.
func resignCommit(c *Commit, k *IdentityKey) {
	th := newTranscript()
	th.mix(c.appendBody(nil))
	copy(c.Signature[:], k.Sign(th.signInput(labelSigCommit)))
}

func marshal(t testing.TB, m interface{ MarshalBinary() ([]byte, error) }) []byte {
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzCommit(f *testing.F) {
	a, b, m1, _, _ := fuzzParties(f)
	good := marshal(f, m1)
	f.Add(false, good)
	f.Add(true, good)
	f.Add(true, bytes.Repeat([]byte{0xff}, CommitSize))
	f.Add(false, good[:len(good)-1])
	f.Add(false, []byte{WireVersion, typeCommit})
	f.Add(false, []byte{2, typeCommit})
	f.Add(false, []byte{})
	// resign: the fuzzed body is signed by the genuine caller, which gets
	// past the signature to the ML-KEM key parsing and encapsulation.
	f.Fuzz(func(t *testing.T, resignIt bool, data []byte) {
		var m Commit
		if err := m.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrVersion) && !errors.Is(err, ErrMessageType) {
				t.Fatalf("undocumented error: %v", err)
			}
			return
		}
		if !bytes.Equal(marshal(t, &m), data) {
			t.Fatal("re-encoding differs")
		}
		if resignIt {
			resignCommit(&m, a.id)
		}
		callee, _ := NewCallee(fresh(b, 1))
		r, err := callee.Respond(&m)
		if err == nil && !resignIt && !bytes.Equal(data, good) {
			t.Fatalf("forged commit accepted (response %v)", r != nil)
		}
	})
}

func FuzzResponse(f *testing.F) {
	a, b, _, m2, _ := fuzzParties(f)
	good := marshal(f, m2)
	f.Add(false, good)
	f.Add(true, good)
	f.Add(true, bytes.Repeat([]byte{0xff}, ResponseSize))
	f.Add(false, good[:100])
	// resign: the fuzzed body is signed by the genuine callee, which gets
	// past the signature to the X25519 and ML-KEM parsing.
	f.Fuzz(func(t *testing.T, resignIt bool, data []byte) {
		var m Response
		if err := m.UnmarshalBinary(data); err != nil {
			return
		}
		if !bytes.Equal(marshal(t, &m), data) {
			t.Fatal("re-encoding differs")
		}
		caller, _ := NewCaller(fresh(a, 42)) // the Rand stream of the seed run
		c, err := caller.Start()
		if err != nil {
			t.Fatal(err)
		}
		if resignIt {
			resign(c, &m, b.id)
		}
		v, s, err := caller.Finish(&m)
		if err == nil && (v == nil || s == nil) {
			t.Fatal("nil result without error")
		}
	})
}

func FuzzReveal(f *testing.F) {
	a, b, _, _, m3 := fuzzParties(f)
	good := marshal(f, m3)
	f.Add(good)
	f.Add(good[:RevealSize-1])
	f.Add(append(bytes.Clone(good), 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Reveal
		if err := m.UnmarshalBinary(data); err != nil {
			return
		}
		if !bytes.Equal(marshal(t, &m), data) {
			t.Fatal("re-encoding differs")
		}
		caller, _ := NewCaller(fresh(a, 42))
		callee, _ := NewCallee(fresh(b, 43))
		c, _ := caller.Start()
		if _, err := callee.Respond(c); err != nil {
			t.Fatal(err)
		}
		s, err := callee.Finish(&m)
		if err == nil && !bytes.Equal(data, good) {
			t.Fatalf("forged reveal accepted: %v", s)
		}
	})
}

// fuzzKey is a fixed envelope key; each iteration gets a fresh opener so
// the outcome depends only on the input.
var fuzzKey = [SessionKeySize]byte{7, 7, 7}

func FuzzOpen(f *testing.F) {
	var s sealer
	s.init(&fuzzKey)
	for _, m := range []string{"", "offer", "a longer candidate line with some text"} {
		e, _ := s.seal(nil, []byte(m))
		f.Add(e)
	}
	f.Add([]byte{WireVersion})
	f.Add([]byte{0})
	f.Add(make([]byte, EnvelopeOverhead))
	f.Fuzz(func(t *testing.T, data []byte) {
		var o opener
		o.init(&fuzzKey)
		o.next = 1 // the second seed is the only envelope that may open
		pt, err := o.open(nil, data)
		if err != nil {
			if pt != nil {
				t.Fatal("plaintext returned with an error")
			}
			return
		}
		if len(pt) != len(data)-EnvelopeOverhead {
			t.Fatalf("opened %d bytes from a %d-byte envelope", len(pt), len(data))
		}
		// Opening it again is a replay.
		if _, err := o.open(nil, data); !errors.Is(err, ErrReplay) {
			t.Fatalf("second open: %v", err)
		}
	})
}

func FuzzParseStore(f *testing.F) {
	k := mustIdentity(f, 1).Public()
	f.Add([]byte(`{"version":1,"peers":{}}`))
	f.Add([]byte(`{"version":1,"peers":{"alice":{"key":"` + k.String() + `","verified":true,"first_seen":"2026-01-01T00:00:00Z","verified_at":"2026-01-02T00:00:00Z"}}}`))
	f.Add([]byte(`{"version":1,"peers":{"bob":{"key":"` + k.String() + `","verified":false,"first_seen":"2026-01-01T00:00:00Z"}}}`))
	f.Add([]byte(`{"version":1,"peers":`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"version":1,"peers":{"\u0000":{}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		peers, err := parseStore(data)
		if err != nil {
			if !errors.Is(err, ErrStoreCorrupt) {
				t.Fatalf("undocumented error: %v", err)
			}
			return
		}
		// What parses must survive a save and a reload unchanged.
		out, err := marshalStore(peers)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseStore(out)
		if err != nil {
			t.Fatalf("re-parse of own output: %v\n%s", err, out)
		}
		if len(again) != len(peers) {
			t.Fatal("peer count changed")
		}
		for n, r := range peers {
			r2 := again[n]
			if !r2.Key.Equal(r.Key) || r2.Verified != r.Verified || !r2.FirstSeen.Equal(r.FirstSeen) || !r2.VerifiedAt.Equal(r.VerifiedAt) {
				t.Fatalf("peer %q changed: %+v → %+v", n, r, r2)
			}
		}
	})
}

func FuzzTextForms(f *testing.F) {
	k := mustIdentity(f, 1).Public()
	f.Add([]byte(k.String()))
	f.Add([]byte(CallID{1, 2, 3}.String()))
	f.Add([]byte("zz"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p PublicIdentity
		if err := p.UnmarshalText(data); err == nil {
			out, _ := p.MarshalText()
			if !bytes.EqualFold(out, data) {
				t.Fatalf("identity text %q re-encodes as %q", data, out)
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("undocumented error %v", err)
		}
		var c CallID
		if err := c.UnmarshalText(data); err == nil {
			out, _ := c.MarshalText()
			if !bytes.EqualFold(out, data) {
				t.Fatalf("call ID text %q re-encodes as %q", data, out)
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("undocumented error %v", err)
		}
	})
}
