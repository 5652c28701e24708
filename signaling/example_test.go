package signaling_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling"
	"github.com/parley-voice/parley/signaling/server"
)

// Two users log in to a server and one rings the other. In a real call the invite and accept
// carry the e2ee agreement messages and everything after travels as sealed envelopes.
func ExampleDial() {
	srv, _ := server.New(server.Config{})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(ln)
	defer srv.Close()
	url := "ws://" + ln.Addr().String() + server.PathWS

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	aliceKey, _ := e2ee.GenerateIdentityKey(nil)
	bobKey, _ := e2ee.GenerateIdentityKey(nil)
	alice, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, User: "alice", Identity: aliceKey})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer alice.Close()
	bob, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, User: "bob", Identity: bobKey})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer bob.Close()

	call, _ := e2ee.NewCallID(nil)
	_ = alice.Invite(call, "bob", []byte("commit"))
	fmt.Println("alice:", (<-alice.Events()).Type)
	in := <-bob.Events()
	fmt.Println("bob:", in.Type, "from", in.User)
	_ = bob.Accept(in.Call, []byte("response"))
	fmt.Println("bob:", (<-bob.Events()).Type)
	acc := <-alice.Events()
	fmt.Println("alice:", acc.Type, string(acc.Data))
	// Output:
	// alice: ringing
	// bob: incoming from alice
	// bob: connected
	// alice: accepted response
}

// A TURN credential in the coturn REST format, as handed out at login.
func ExampleMintTURN() {
	now := time.Unix(1_700_000_000, 0)
	user, pass, expires, _ := signaling.MintTURN([]byte("s3cret"), "alice", now, 10*time.Minute)
	fmt.Println(user, pass, expires.Unix())
	// Output: 1700000600:alice bUIJIVaC05oyFgKsQvKAparqg1Q= 1700000600
}

// Decode is strict: unknown fields are refused.
func ExampleDecode() {
	_, err := signaling.Decode([]byte(`{"v":1,"type":"ack","sdp":"v=0"}`))
	fmt.Println(err != nil)
	f, _ := signaling.Decode([]byte(`{"v":1,"type":"ack","ack":7}`))
	fmt.Println(f.Type, f.Ack)
	// Output:
	// true
	// ack 7
}
