package e2ee_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/parley-voice/parley/e2ee"
)

// The whole caller/callee flow: three messages over the signaling channel,
// a SAS both users compare, a key-continuity check, then sealed envelopes.
func Example() {
	alice, _ := e2ee.GenerateIdentityKey(nil)
	bob, _ := e2ee.GenerateIdentityKey(nil)
	callID, _ := e2ee.NewCallID(nil)

	caller, err := e2ee.NewCaller(e2ee.Config{Identity: alice, CallID: callID})
	if err != nil {
		log.Fatal(err)
	}
	callee, err := e2ee.NewCallee(e2ee.Config{Identity: bob, CallID: callID})
	if err != nil {
		log.Fatal(err)
	}

	// 1. caller → callee: ekA and the commitment to xA.
	commit, _ := caller.Start()
	wire1, _ := commit.MarshalBinary()

	// 2. callee → caller: xB and the ML-KEM ciphertext.
	var gotCommit e2ee.Commit
	if err := gotCommit.UnmarshalBinary(wire1); err != nil {
		log.Fatal(err)
	}
	response, err := callee.Respond(&gotCommit)
	if err != nil {
		log.Fatal(err)
	}
	wire2, _ := response.MarshalBinary()

	// 3. caller → callee: the reveal of xA.
	var gotResponse e2ee.Response
	if err := gotResponse.UnmarshalBinary(wire2); err != nil {
		log.Fatal(err)
	}
	reveal, callerSession, err := caller.Finish(&gotResponse)
	if err != nil {
		log.Fatal(err)
	}
	wire3, _ := reveal.MarshalBinary()
	var gotReveal e2ee.Reveal
	if err := gotReveal.UnmarshalBinary(wire3); err != nil {
		log.Fatal(err)
	}
	calleeSession, err := callee.Finish(&gotReveal)
	if err != nil {
		log.Fatal(err)
	}
	defer callerSession.Close()
	defer calleeSession.Close()

	// Both screens show the same four emoji and words.
	fmt.Println("same SAS:", callerSession.SAS().Equal(calleeSession.SAS()))
	fmt.Println("SAS words:", len(callerSession.SAS().Words()))

	// The caller checks the callee's key against its store.
	dir, _ := os.MkdirTemp("", "parley-example")
	defer os.RemoveAll(dir)
	store, _ := e2ee.OpenStore(filepath.Join(dir, "peers.json"))
	status, _ := store.Observe("bob", callerSession.Peer())
	fmt.Println("bob:", status)
	// After the users said the emoji matched:
	store.MarkVerified("bob", callerSession.Peer())
	status, _ = store.Observe("bob", callerSession.Peer())
	fmt.Println("bob:", status)

	// Everything peer-to-peer now travels sealed.
	env, _ := callerSession.Seal(nil, []byte("sdp offer"))
	plain, err := calleeSession.Open(nil, env)
	fmt.Printf("%s %v\n", plain, err)
	_, err = calleeSession.Open(nil, env)
	fmt.Println(err)
	// Output:
	// same SAS: true
	// SAS words: 4
	// bob: first-contact
	// bob: verified
	// sdp offer <nil>
	// e2ee: envelope replayed: sequence 0, expected 1
}

func ExampleSAS_String() {
	fmt.Println(e2ee.SAS{0x00, 0x1f, 0x80, 0xff})
	// Output: 🐶 🦂 🍪 🦴 (dog scorpion cookie bone)
}
