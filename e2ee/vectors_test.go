package e2ee

import (
	"bytes"
	"crypto/ecdh"
	"crypto/mlkem"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// hashReader is a fixed deterministic stream, SHA-256(label ‖ counter), so
// the vectors depend on nothing but SHA-256 (not on math/rand's generators).
type hashReader struct {
	label string
	ctr   uint64
	buf   []byte
}

func (r *hashReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(r.buf) == 0 {
			h := sha256.New()
			h.Write([]byte(r.label))
			binary.Write(h, binary.BigEndian, r.ctr)
			r.ctr++
			r.buf = h.Sum(nil)
		}
		c := copy(p[n:], r.buf)
		r.buf = r.buf[c:]
		n += c
	}
	return n, nil
}

// vector is one recorded agreement: fixed inputs, every wire message, and
// what both sides derive. The envelopes pin the session keys without
// recording them.
type vector struct {
	Comment        string   `json:"comment"`
	CallerSeed     string   `json:"caller_identity_seed"`
	CalleeSeed     string   `json:"callee_identity_seed"`
	CallerRand     string   `json:"caller_rand_label"`
	CalleeRand     string   `json:"callee_rand_label"`
	CallID         string   `json:"call_id"`
	CallerFP       string   `json:"caller_fingerprint"`
	CalleeFP       string   `json:"callee_fingerprint"`
	Commit         string   `json:"message1_commit"`
	Response       string   `json:"message2_response"`
	Reveal         string   `json:"message3_reveal"`
	TranscriptHash string   `json:"transcript_hash"`
	SAS            string   `json:"sas_hex"`
	SASEmoji       []string `json:"sas_emoji"`
	SASWords       []string `json:"sas_words"`
	X25519Secret   string   `json:"x25519_shared_secret"`
	MLKEMSecret    string   `json:"mlkem_shared_secret"`
	KeyAB          string   `json:"key_caller_to_callee"`
	KeyBA          string   `json:"key_callee_to_caller"`
	Plaintext      string   `json:"plaintext"`
	EnvelopeAB     []string `json:"envelopes_caller_to_callee"`
	EnvelopeBA     []string `json:"envelopes_callee_to_caller"`
}

func makeVector(t *testing.T) vector {
	v := vector{
		Comment:    "Parley e2ee agreement, fixed randomness: SHA-256(label || uint64 counter) streams",
		CallerRand: "parley vector caller",
		CalleeRand: "parley vector callee",
		CallID:     "000102030405060708090a0b0c0d0e0f",
		Plaintext:  "v=0 (sealed SDP would go here)",
	}
	seedA, seedB := make([]byte, 32), make([]byte, 32)
	(&hashReader{label: "parley vector caller identity"}).Read(seedA)
	(&hashReader{label: "parley vector callee identity"}).Read(seedB)
	v.CallerSeed, v.CalleeSeed = hex.EncodeToString(seedA), hex.EncodeToString(seedB)
	ka, _ := NewIdentityKey(seedA)
	kb, _ := NewIdentityKey(seedB)
	var id CallID
	hex.Decode(id[:], []byte(v.CallID))
	sa, sb, m1, m2, m3 := run(t,
		Config{Identity: ka, CallID: id, Rand: &hashReader{label: v.CallerRand}},
		Config{Identity: kb, CallID: id, Rand: &hashReader{label: v.CalleeRand}})
	if !sa.SAS().Equal(sb.SAS()) || sa.TranscriptHash() != sb.TranscriptHash() {
		t.Fatal("vector run disagrees")
	}
	b1, _ := m1.MarshalBinary()
	b2, _ := m2.MarshalBinary()
	b3, _ := m3.MarshalBinary()
	v.CallerFP, v.CalleeFP = ka.Public().Fingerprint(), kb.Public().Fingerprint()
	v.Commit, v.Response, v.Reveal = hex.EncodeToString(b1), hex.EncodeToString(b2), hex.EncodeToString(b3)
	th := sa.TranscriptHash()
	v.TranscriptHash = hex.EncodeToString(th[:])
	s := sa.SAS()
	e, w := s.Emoji(), s.Words()
	v.SAS, v.SASEmoji, v.SASWords = hex.EncodeToString(s[:]), e[:], w[:]
	// Intermediate secrets, recomputed from the caller's recorded random
	// stream (xA scalar, then the ML-KEM seed), so other implementations
	// can check the key schedule step by step.
	var seed [X25519KeySize + mlkemSeedSize]byte
	(&hashReader{label: v.CallerRand}).Read(seed[:])
	xA, _ := ecdh.X25519().NewPrivateKey(seed[:X25519KeySize])
	xB, _ := ecdh.X25519().NewPublicKey(m2.X25519[:])
	dh, _ := xA.ECDH(xB)
	dk, _ := mlkem.NewDecapsulationKey768(seed[X25519KeySize:])
	ss, _ := dk.Decapsulate(m2.Ciphertext[:])
	thr := transcript(th)
	kab, kba, err := deriveKeys(&thr, id, ka.Public(), kb.Public(), dh, ss)
	if err != nil {
		t.Fatal(err)
	}
	v.X25519Secret, v.MLKEMSecret = hex.EncodeToString(dh), hex.EncodeToString(ss)
	v.KeyAB, v.KeyBA = hex.EncodeToString(kab[:]), hex.EncodeToString(kba[:])
	for range 2 {
		ab, _ := sa.Seal(nil, []byte(v.Plaintext))
		ba, _ := sb.Seal(nil, []byte(v.Plaintext))
		if _, err := sb.Open(nil, ab); err != nil {
			t.Fatal(err)
		}
		if _, err := sa.Open(nil, ba); err != nil {
			t.Fatal(err)
		}
		v.EnvelopeAB = append(v.EnvelopeAB, hex.EncodeToString(ab))
		v.EnvelopeBA = append(v.EnvelopeBA, hex.EncodeToString(ba))
	}
	return v
}

func TestGoldenAgreement(t *testing.T) {
	path := filepath.Join("testdata", "agreement.golden.json")
	got := makeVector(t)
	data, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, '\n')
	if *update {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGoldenAgreement -update to create it)", err)
	}
	if !bytes.Equal(data, want) {
		var w vector
		json.Unmarshal(want, &w)
		t.Fatalf("agreement differs from %s (the protocol changed? rerun with -update if intended)\n got SAS %s %v\nwant SAS %s %v",
			path, got.SAS, got.SASWords, w.SAS, w.SASWords)
	}
}

// TestGoldenReplay feeds the recorded wire messages to fresh parties: the
// callee, given recorded message 1 and 3, must derive the recorded SAS and
// open the recorded envelopes.
func TestGoldenReplay(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "agreement.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v vector
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	dec := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	kb, err := NewIdentityKey(dec(v.CalleeSeed))
	if err != nil {
		t.Fatal(err)
	}
	var id CallID
	copy(id[:], dec(v.CallID))
	callee, _ := NewCallee(Config{Identity: kb, CallID: id, Rand: &hashReader{label: v.CalleeRand}})
	var m1 Commit
	var m3 Reveal
	if err := m1.UnmarshalBinary(dec(v.Commit)); err != nil {
		t.Fatal(err)
	}
	m2, err := callee.Respond(&m1)
	if err != nil {
		t.Fatal(err)
	}
	if b2, _ := m2.MarshalBinary(); !bytes.Equal(b2, dec(v.Response)) {
		t.Fatal("recorded message 1 gives a different message 2")
	}
	if err := m3.UnmarshalBinary(dec(v.Reveal)); err != nil {
		t.Fatal(err)
	}
	s, err := callee.Finish(&m3)
	if err != nil {
		t.Fatal(err)
	}
	if sas := s.SAS(); hex.EncodeToString(sas[:]) != v.SAS {
		t.Fatalf("SAS %x, recorded %s", sas, v.SAS)
	}
	for i, e := range v.EnvelopeAB {
		pt, err := s.Open(nil, dec(e))
		if err != nil || string(pt) != v.Plaintext {
			t.Fatalf("recorded envelope %d: %q, %v", i, pt, err)
		}
	}
}
