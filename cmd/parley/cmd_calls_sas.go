// The SAS confirmation of parley call and listen: a prompt on a terminal, -verify otherwise.

package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/parley-voice/parley/engine"
)

// sasConfirm is how a phone confirms SAS matches. Owned by the phone's goroutine, except the
// stdin reader, which only sends on lines.
type sasConfirm struct {
	verify      bool        // -verify: mark verified at key agreement without asking
	interactive bool        // stdin is a terminal: ask
	in          io.Reader   // where answers come from (os.Stdin)
	lines       chan string // answers, read by one goroutine started on the first prompt
	started     bool
}

func newSASConfirm(verify bool) *sasConfirm {
	return &sasConfirm{verify: verify, interactive: !verify && term.IsTerminal(int(os.Stdin.Fd())), in: os.Stdin}
}

// keysAgreed runs when a call's SAS is shown. With -verify it marks the peer verified; on a
// terminal it asks and returns the channel the answer arrives on (nil otherwise).
func (s *sasConfirm) keysAgreed(out io.Writer, call *engine.Call, peer string) <-chan string {
	if s.verify {
		if err := call.Verify(); err != nil {
			fmt.Fprintf(out, "  could not mark %s verified: %v\n", peer, err)
		} else {
			fmt.Fprintf(out, "  -verify: %s's key is now marked verified (hang up if the SAS differs on their side)\n", peer)
		}
		return nil
	}
	if !s.interactive {
		fmt.Fprintf(out, "  compared it? 'parley contacts verify %s' marks this key verified\n", peer)
		return nil
	}
	if !s.started {
		s.started = true
		s.lines = make(chan string, 1)
		go func() { // ends with stdin; one per process
			sc := bufio.NewScanner(s.in)
			for sc.Scan() {
				select {
				case s.lines <- sc.Text():
				default: // nobody asked: drop
				}
			}
		}()
	}
	select { // an answer typed before this prompt does not count
	case <-s.lines:
	default:
	}
	fmt.Fprintf(out, "  Does %s see the same SAS? [y = yes, verified / n = no, hang up / Enter = not now] ", peer)
	return s.lines
}

// answered handles the user's answer; it reports false when the call must be hung up.
func (s *sasConfirm) answered(out io.Writer, call *engine.Call, peer, answer string) bool {
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		if err := call.Verify(); err != nil {
			fmt.Fprintf(out, "  could not mark %s verified: %v\n", peer, err)
			return true
		}
		fmt.Fprintf(out, "  %s verified: a later change of their key will be refused\n", peer)
	case "n", "no":
		fmt.Fprintf(out, "  SAS mismatch: someone may be in the middle of this call\n")
		return false
	default:
		fmt.Fprintf(out, "  not verified ('parley contacts verify %s' later)\n", peer)
	}
	return true
}
