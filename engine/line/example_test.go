package line_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/engine"
	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/engine/line"
	"github.com/parley-voice/parley/signaling"
	"github.com/parley-voice/parley/signaling/server"
)

// Example places a call through a real signaling server: each side loads its identity key,
// logs in (signaling.Dial), turns the client into a Line, and hands the Line's Signal to
// engine.Dial or engine.Answer. The server runs in this process on loopback, as 'parley serve'
// runs it; an application points URL at its own.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, _ := server.New(server.Config{})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(ln)
	defer srv.Close()
	url := "ws://" + ln.Addr().String() + server.PathWS

	// Each user's long-term key, where 'parley id new -dir DIR' writes it.
	dir, _ := os.MkdirTemp("", "parley-example")
	defer os.RemoveAll(dir)
	login := func(user string) (*line.Line, *e2ee.IdentityKey) {
		k, _ := e2ee.GenerateIdentityKey(nil)
		_ = k.Save(filepath.Join(dir, user))
		id, err := e2ee.LoadIdentity(filepath.Join(dir, user))
		if err != nil {
			panic(err)
		}
		client, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, User: user, Identity: id})
		if err != nil {
			panic(err)
		}
		l := line.New(client)
		go func() { <-ctx.Done(); l.Close(); client.Close() }()
		return l, id
	}
	aliceLine, aliceID := login("alice")
	bobLine, bobID := login("bob")

	// Alice calls bob with one second of audio, then hangs up by herself.
	sig, _ := aliceLine.Call("bob")
	defer sig.Close()
	alice, err := engine.Dial(ctx, engine.Config{
		Identity:              aliceID,
		ICEServers:            aliceLine.ICEServers(), // the server's STUN/TURN, if it runs any
		IncludeLoopback:       true,                   // both ends are on this machine
		Source:                &audio.Samples{Audio: make([]float32, audio.SampleRateHz)},
		HangupAfterSourceEnds: 500 * time.Millisecond,
	}, sig)
	if err != nil {
		fmt.Println(err)
		return
	}

	// Bob's phone rings; he answers.
	in := <-bobLine.Incoming()
	defer in.Signal.Close()
	fmt.Println("bob: incoming call from", in.From)
	bob, err := engine.Answer(ctx, engine.Config{
		Identity: bobID, PeerIdentity: in.Key, ICEServers: bobLine.ICEServers(), IncludeLoopback: true,
	}, in.Signal, in.Invite)
	if err != nil {
		fmt.Println(err)
		return
	}
	<-alice.Done()
	<-bob.Done()
	ra, _ := alice.Reason()
	rb, _ := bob.Reason()
	fmt.Println("alice's call ended:", ra)
	fmt.Println("bob's call ended:", rb)

	// A call that cannot connect says why.
	sig2, _ := aliceLine.Call("carol")
	defer sig2.Close()
	carol, _ := engine.Dial(ctx, engine.Config{Identity: aliceID}, sig2)
	<-carol.Done()
	rc, _ := carol.Reason()
	fmt.Println("call to carol:", rc)
	// Output:
	// bob: incoming call from alice
	// alice's call ended: hangup
	// bob's call ended: remote_hangup
	// call to carol: unavailable
}
