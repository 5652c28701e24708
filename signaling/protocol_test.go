package signaling

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parley-voice/parley/e2ee"
)

func sampleFrames() []*Frame {
	var call e2ee.CallID
	call[0] = 7
	var key e2ee.PublicIdentity
	key[1] = 9
	return []*Frame{
		{V: 1, Type: TypeInvite, Seq: 3, Ack: 2, Call: call, User: "bob", Data: bytes.Repeat([]byte{1}, 1330)},
		{V: 1, Type: TypeLogin, User: "alice", Device: "phone", Key: key, Sig: make([]byte, 64)},
		{V: 1, Type: TypeRelay, Seq: 9, Call: call, Data: []byte("sealed")},
		{V: 1, Type: TypeAck, Ack: 4},
		{V: 1, Type: TypeWelcome, Server: "n1", Device: "phone", TURN: &TURNInfo{URLs: []string{"stun:127.0.0.1:3478"}, Username: "1:a", Credential: "x", TTL: 600}},
		{V: 1, Type: TypeCancelled, Seq: 1, Call: call, Reason: ReasonTimeout},
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, f := range sampleFrames() {
		b, err := Encode(f)
		if err != nil {
			t.Fatalf("%s: %v", f.Type, err)
		}
		g, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", f.Type, err)
		}
		b2, _ := Encode(g)
		if !bytes.Equal(b, b2) {
			t.Fatalf("%s: round trip differs:\n%s\n%s", f.Type, b, b2)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	cases := []struct {
		in   string
		want error
	}{
		{`{"v":1,"type":"ack","bogus":true}`, ErrMalformed},
		{`{"v":1,"type":"ack"} {}`, ErrMalformed},
		{`{"v":1,"type":"nope"}`, ErrUnknownType},
		{`{"v":1,"type":"relay","seq":1,"data":"AA=="}`, ErrMissingField},
		{`{"v":3,"type":"ack"}`, ErrVersion},
		{`{"v":1,"type":"login","user":"Alice!","device":"d","key":"` + strings.Repeat("01", 32) + `","sig":"` + strings.Repeat("A", 88) + `"}`, ErrMalformed},
		{`{"v":1,"type":"relay","call":"00","seq":1,"data":"AA=="}`, ErrMalformed},
		{`{"v":1,"type":"ack","seq":5}`, ErrMalformed},
		{strings.Repeat(" ", MaxFrameSize+1), ErrTooLarge},
	}
	for _, c := range cases {
		if _, err := Decode([]byte(c.in)); !errors.Is(err, c.want) {
			t.Errorf("%.50s: got %v, want %v", c.in, err, c.want)
		}
	}
}

func TestTURNCredentialCoturnFormat(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	u, p, exp, err := MintTURN([]byte("s3cret"), "alice", now, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if u != "1700000600:alice" || !exp.Equal(now.Add(10*time.Minute)) {
		t.Fatalf("username %q expires %v", u, exp)
	}
	// Reference: printf '1700000600:alice' | openssl dgst -sha1 -hmac s3cret -binary | base64
	if p != "bUIJIVaC05oyFgKsQvKAparqg1Q=" {
		t.Fatalf("password %q", p)
	}
	if got, err := CheckTURN([]byte("s3cret"), u, now.Add(9*time.Minute)); err != nil || got != p {
		t.Fatalf("check: %q %v", got, err)
	}
	if _, err := CheckTURN([]byte("s3cret"), u, now.Add(10*time.Minute)); !errors.Is(err, ErrTURNCredential) {
		t.Fatalf("expired credential accepted: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, fr := range sampleFrames() {
		b, _ := Encode(fr)
		f.Add(b)
	}
	f.Add([]byte(`{"v":1,"type":"ack"}`))
	f.Add([]byte(`{"v":1,"type":"invite","seq":1,"call":"00112233445566778899aabbccddeeff","user":"bob","data":"AQ=="}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := Decode(b)
		if err != nil {
			return
		}
		// Anything accepted re-encodes and decodes to the same frame.
		enc, err := Encode(fr)
		if err != nil {
			t.Fatalf("accepted frame does not re-encode: %v", err)
		}
		fr2, err := Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded frame rejected: %v", err)
		}
		enc2, _ := Encode(fr2)
		if !bytes.Equal(enc, enc2) {
			t.Fatal("encoding not stable")
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	f := sampleFrames()[0]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	enc, _ := Encode(sampleFrames()[0])
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeSmall(b *testing.B) {
	enc, _ := Encode(sampleFrames()[5])
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}
