package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parley-voice/parley/bench"
	"github.com/parley-voice/parley/codec"
)

// cliProc is a parley process started by an outcome test (proc_test.go's TestMain makes the
// test binary the CLI), with its working directory and environment and its exit status.
type cliProc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer // stdout and stderr, interleaved as a terminal shows them
	done chan struct{}
	code int
}

// writeSpeechWAV writes the first 3 s of the first default speech clip (16-bit, bench's
// rate) to path, for the CLI's -wav flags.
func writeSpeechWAV(t *testing.T, path string) {
	t.Helper()
	clips, err := bench.DefaultClips()
	if err != nil {
		t.Fatal(err)
	}
	speech := clips[0].Samples[:min(len(clips[0].Samples), 3*bench.SampleRateHz)]
	if err := codec.WriteWAVFile(path, codec.Audio{SampleRateHz: bench.SampleRateHz, Samples: speech}, codec.WAVPCM16); err != nil {
		t.Fatal(err)
	}
}

// startParley starts `parley args...` in dir with the environment env (added to the test's).
func startParley(t *testing.T, dir string, env []string, args ...string) *cliProc {
	t.Helper()
	p := &cliProc{name: "parley " + strings.Join(args, " "), out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], args...)
	p.cmd.Dir = dir
	p.cmd.Env = append(append(os.Environ(), "PARLEY_TEST_AS_CLI=1"), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			p.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				p.code = -int(ws.Signal())
			}
		default:
			p.code = -1000
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// waitOutput waits until the process has printed want.
func (p *cliProc) waitOutput(t *testing.T, want string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(p.out.String(), want) {
		select {
		case <-p.done:
			if strings.Contains(p.out.String(), want) {
				return
			}
			t.Fatalf("%s exited %d before printing %q:\n%s", p.name, p.code, want, p.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not print %q within %v:\n%s", p.name, want, d, p.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wait waits for the process to exit and returns its exit status.
func (p *cliProc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(d):
		t.Fatalf("%s still running after %v:\n%s", p.name, d, p.out)
	}
	return 0
}

// expectEnd waits for the process to exit and checks its exit status and last words.
func (p *cliProc) expectEnd(t *testing.T, code int, message string, d time.Duration) {
	t.Helper()
	got := p.wait(t, d)
	t.Logf("$ %s\n%s[exit %d]", p.name, p.out, got)
	if got != code || !strings.Contains(p.out.String(), "call ended: "+message) {
		t.Errorf("%s: exit %d; want exit %d after %q", p.name, got, code, "call ended: "+message)
	}
}

// TestCallOutcomesCLI runs the README's two-process walk-through (a server, a listener, a
// caller: each a real parley process) for every way a call can fail, and checks what the user
// sees and the exit status. Configuration comes from PARLEY_SERVER and PARLEY_DIR.
func TestCallOutcomesCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts parley processes and places real calls")
	}
	tmp := t.TempDir()
	addr := freeAddr(t)
	writeSpeechWAV(t, filepath.Join(tmp, "speech.wav"))
	srv := startParley(t, tmp, nil, "serve", "-addr", addr, "-turn-listen", "127.0.0.1:0", "-ring-timeout", "3s", "-data", filepath.Join(tmp, "serve"))
	srv.waitOutput(t, "parley serve: listening", 15*time.Second)
	server := "PARLEY_SERVER=ws://" + addr + "/v1/ws"
	// user returns the environment of a user with an identity of its own. The server lets one
	// address register 10 names at once: alice (and carol) call in every subtest, from one
	// identity as from several devices.
	var mu sync.Mutex
	user := func(name string) []string {
		mu.Lock()
		defer mu.Unlock()
		dir := filepath.Join(tmp, name)
		if _, err := os.Stat(dir); err != nil {
			if code := startParley(t, tmp, nil, "id", "new", "-dir", dir).wait(t, 30*time.Second); code != 0 {
				t.Fatalf("id new -dir %s: exit %d", dir, code)
			}
		}
		return []string{server, "PARLEY_DIR=" + dir, "PARLEY_USER=" + name}
	}
	const long = 60 * time.Second

	t.Run("offline", func(t *testing.T) {
		t.Parallel()
		c := startParley(t, tmp, user("alice"), "call", "bob1", "-in", "speech.wav")
		c.expectEnd(t, exitUnavailable, "bob1 is not online (or there is no such user)", long)
	})
	t.Run("declined", func(t *testing.T) {
		t.Parallel()
		l := startParley(t, tmp, user("bob2"), "listen", "-decline")
		l.waitOutput(t, "listening as bob2", long)
		c := startParley(t, tmp, user("alice"), "call", "bob2", "-in", "speech.wav", "-stats", "json")
		c.expectEnd(t, exitDeclined, "bob2 declined the call", long)
		// -stats json: the same outcome as one object for scripts.
		if want := `{"type":"ended","reason":"declined","message":"bob2 declined the call","exit":6,"peer":"bob2"}`; !strings.Contains(c.out.String(), want) {
			t.Errorf("-stats json printed no %s:\n%s", want, c.out)
		}
		if code := l.wait(t, long); code != 0 || !strings.Contains(l.out.String(), "declining") {
			t.Errorf("declining listener: exit %d\n%s", code, l.out)
		}
	})
	t.Run("no_answer", func(t *testing.T) {
		t.Parallel()
		l := startParley(t, tmp, user("bob3"), "listen", "-answer-after", "1m")
		l.waitOutput(t, "listening as bob3", long)
		c := startParley(t, tmp, user("alice"), "call", "bob3", "-in", "speech.wav")
		c.waitOutput(t, "ringing", long)
		c.expectEnd(t, exitNoAnswer, "bob3 did not answer", long)
		l.expectEnd(t, exitNoAnswer, "missed call from alice: it stopped ringing before you answered", long)
	})
	t.Run("busy", func(t *testing.T) {
		t.Parallel()
		l := startParley(t, tmp, user("bob4"), "listen")
		l.waitOutput(t, "listening as bob4", long)
		a := startParley(t, tmp, user("alice"), "call", "bob4", "-for", "1m")
		a.waitOutput(t, "connected via", long)
		c := startParley(t, tmp, user("carol"), "call", "bob4")
		c.expectEnd(t, exitBusy, "bob4 is busy in another call", long)
		_ = a.cmd.Process.Signal(os.Interrupt)
		a.expectEnd(t, 0, "you hung up", long)
		l.expectEnd(t, 0, "alice hung up", long)
	})
	t.Run("answered_elsewhere", func(t *testing.T) {
		t.Parallel()
		env := user("bob5")
		l1 := startParley(t, tmp, env, "listen", "-out", "bob5-desk.wav")
		l2 := startParley(t, tmp, env, "listen", "-out", "bob5-phone.wav")
		l1.waitOutput(t, "listening as bob5", long)
		l2.waitOutput(t, "listening as bob5", long)
		c := startParley(t, tmp, user("alice"), "call", "bob5", "-in", "speech.wav")
		c1, c2 := l1.wait(t, long), l2.wait(t, long)
		lost, won, lostFile := l2, l1, "bob5-phone.wav"
		if c1 != 0 {
			lost, won, lostFile = l1, l2, "bob5-desk.wav"
		}
		t.Logf("exits %d and %d", c1, c2)
		lost.expectEnd(t, exitElsewhere, "the call from alice was answered on another device", long)
		won.expectEnd(t, 0, "alice hung up", long)
		c.expectEnd(t, 0, "you hung up", long)
		if _, err := os.Stat(filepath.Join(tmp, lostFile)); !os.IsNotExist(err) {
			t.Errorf("the device that lost the race wrote %s (%v)", lostFile, err)
		}
		if strings.Contains(lost.out.String(), "recorded") {
			t.Errorf("the device that lost the race says it recorded:\n%s", lost.out)
		}
	})
	t.Run("peer_killed", func(t *testing.T) {
		t.Parallel()
		l := startParley(t, tmp, user("bob6"), "listen", "-out", "bob6.wav")
		l.waitOutput(t, "listening as bob6", long)
		c := startParley(t, tmp, user("alice"), "call", "bob6", "-for", "2m")
		c.waitOutput(t, "connected via", long)
		l.waitOutput(t, "1s ", long) // a statistics line: audio is being recorded
		if err := l.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		t.Logf("killed the listener: %v", fmt.Sprint(l.wait(t, long)))
		c.waitOutput(t, "reconnecting", long)
		c.expectEnd(t, exitPeerLost, "lost bob6: nothing arrived from them for 8 s", long)
		// The killed listener's recording is a valid WAV as far as it got.
		a, err := codec.ReadWAVFile(filepath.Join(tmp, "bob6.wav"))
		if err != nil || len(a.Samples) == 0 {
			t.Errorf("the killed listener left no playable recording: %d samples, %v", len(a.Samples), err)
		}
	})
	t.Run("yourself", func(t *testing.T) {
		t.Parallel()
		c := startParley(t, tmp, user("alice7"), "call", "alice7")
		if code := c.wait(t, long); code != 2 || !strings.Contains(c.out.String(), "cannot call themselves") {
			t.Errorf("calling yourself: exit %d\n%s", code, c.out)
		}
	})
}
