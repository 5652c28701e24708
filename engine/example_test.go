package engine_test

import (
	"context"
	"fmt"
	"time"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/engine"
	"github.com/parley-voice/parley/engine/audio"
)

// Example places a call between two engines in one process. A Pipe stands in for the
// signaling service; a real application passes a Signal over its signaling client (see
// engine/line) and real audio (engine/audio, engine/audio/portaudio).
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	id, _ := e2ee.NewCallID(nil)
	toBob, toAlice := engine.NewPipe(id)
	defer toBob.Close()
	defer toAlice.Close()

	// Alice calls with a tone; the zero Config would send silence.
	alice, err := engine.Dial(ctx, engine.Config{
		Source:          &audio.Tone{FrequencyHz: 440, Amplitude: 0.2},
		IncludeLoopback: true,
	}, toBob)
	if err != nil {
		fmt.Println(err)
		return
	}

	// Bob's application receives the invite, rings, and answers.
	invite, err := toAlice.Recv(ctx)
	if err != nil || invite.Kind != engine.KindInvite {
		fmt.Println("no invite", err)
		return
	}
	heard := &audio.Recorder{}
	bob, err := engine.Answer(ctx, engine.Config{Sink: heard, IncludeLoopback: true}, toAlice, invite.Data)
	if err != nil {
		fmt.Println(err)
		return
	}

	for ev := range alice.Events() {
		fmt.Println("alice:", ev.State)
		if ev.State == engine.StateConnected || ev.State == engine.StateEnded {
			break
		}
	}
	sa, _ := alice.SAS()
	sb, _ := bob.SAS()
	fmt.Println("same SAS:", sa.Equal(sb)) // the users compare the emoji, then:
	_ = alice.Verify()

	_ = alice.Hangup(ctx)
	<-bob.Done()
	reason, _ := bob.Reason()
	fmt.Println("bob's call ended:", reason)
	// Output:
	// alice: connecting
	// alice: connected
	// same SAS: true
	// bob's call ended: remote_hangup
}
