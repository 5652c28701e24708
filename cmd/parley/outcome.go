// How parley call and parley listen report the end of a call: one message and one exit status
// per engine.Reason.

package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/parley-voice/parley/engine"
)

// Exit statuses of call and listen beyond 0 (hung up), 1 (error) and 2 (usage).
const (
	exitUnavailable = 3
	exitBusy        = 4
	exitNoAnswer    = 5
	exitDeclined    = 6
	exitElsewhere   = 7
	exitCancelled   = 8
	exitPeerLost    = 9
	exitNoPath      = 10
	exitKeyChanged  = 11

	// exitInterrupted ends a bench stopped by Ctrl-C (128 + SIGINT, as shells report it),
	// after it wrote what finished.
	exitInterrupted = 130
)

// exitStatusHelp is the exit status table printed by 'parley call -h' and 'parley listen -h'.
const exitStatusHelp = `
Exit status (listen: of the last call):
   0  the call ended with a hang-up: yours, your peer's, or Ctrl-C
   1  an error: the server unreachable, a failed setup, a bad file
   2  bad usage (flags, arguments)
   3  unavailable: the user has no device online (or there is no such user)
   4  busy: every device of the user is in another call
   5  no answer: nobody answered before the server's ring timeout
   6  declined: the callee declined the call
   7  answered or declined on another of your devices (listen)
   8  cancelled: the caller hung up before you answered (listen)
   9  peer lost: nothing arrived from the peer for 8 s (its process or network died)
  10  no network path to the peer (ICE found none, or setup timed out)
  11  refused: the peer's identity key is not the one you verified (see parley contacts)`

// outcome is how the CLI reports one engine.Reason: the exit status and the message, a format
// with the peer's name as its one %s.
type outcome struct {
	code           int
	caller, callee string
}

var outcomes = map[engine.Reason]outcome{
	engine.ReasonHangup:            {0, "you hung up", "you hung up"},
	engine.ReasonRemoteHangup:      {0, "%s hung up", "%s hung up"},
	engine.ReasonUnavailable:       {exitUnavailable, "%s is not online (or there is no such user)", "%s is not online"},
	engine.ReasonBusy:              {exitBusy, "%s is busy in another call", "%s is busy in another call"},
	engine.ReasonNoAnswer:          {exitNoAnswer, "%s did not answer", "missed call from %s: it stopped ringing before you answered"},
	engine.ReasonDeclined:          {exitDeclined, "%s declined the call", "%s declined the call"},
	engine.ReasonAnsweredElsewhere: {exitElsewhere, "answered on another device", "the call from %s was answered on another device"},
	engine.ReasonDeclinedElsewhere: {exitElsewhere, "declined on another device", "the call from %s was declined on another device"},
	engine.ReasonCancelled:         {exitCancelled, "%s hung up before the call was answered", "missed call from %s: they hung up before you answered"},
	engine.ReasonPeerLost:          {exitPeerLost, "lost %s: nothing arrived from them for 8 s (their app or network died)", "lost %s: nothing arrived from them for 8 s (their app or network died)"},
	engine.ReasonFailed:            {exitNoPath, "no network path to %s (try -relay, and check that the server's TURN port is reachable)", "no network path to %s (try -relay, and check that the server's TURN port is reachable)"},
	engine.ReasonKeyChanged: {exitKeyChanged,
		"refused before any audio: %s's identity key is not the one you verified. If they really have a new key, run 'parley contacts forget' for them, call again and compare the SAS; otherwise someone may be impersonating them",
		"refused before any audio: %s's identity key is not the one you verified. If they really have a new key, run 'parley contacts forget' for them, call again and compare the SAS; otherwise someone may be impersonating them"},
	engine.ReasonTimeout: {exitNoPath, "the call with %s could not be set up in time (no network path?)", "the call with %s could not be set up in time (no network path?)"},
}

// describe returns the message and exit status for a call with peer that ended with r (err:
// the engine's error for ReasonError).
func describe(r engine.Reason, err error, peer string, caller bool) (string, int) {
	o, ok := outcomes[r]
	if !ok {
		if err == nil {
			err = errors.New(string(r))
		}
		return fmt.Sprintf("call failed: %v", err), 1
	}
	f := o.callee
	if caller {
		f = o.caller
	}
	if !strings.Contains(f, "%s") {
		return f, o.code
	}
	return fmt.Sprintf(f, peer), o.code
}

// outcomeError ends call or listen with an exit status of its own; the message was already
// printed.
type outcomeError struct {
	msg  string
	code int
}

func (e *outcomeError) Error() string { return e.msg }
