package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling"
	"github.com/parley-voice/parley/signaling/server"
)

// inProcServer serves a signaling node (no TURN) on loopback for the duration of the test.
func inProcServer(t *testing.T) string {
	t.Helper()
	srv, err := server.New(server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); <-done })
	return "ws://" + ln.Addr().String() + server.PathWS
}

// waitOutput waits until p printed want, failing if it exits first or after 30 s.
func waitOutput(t *testing.T, p *proc, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.out.String(), want) {
		select {
		case <-p.waited:
			t.Fatalf("exited (%v) before printing %q:\n%s", p.err, want, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q after 30 s:\n%s", want, p.out.String())
		}
		time.Sleep(20 * time.Millisecond) // polling a child's output
	}
}

// TestListenSurvivesBadInvite is issue 15 item 5: a 1-byte invite to a real 'parley listen'
// process is declined and logged, and the process goes on to answer a real call and exit 0
// (it exited 1 at the bad invite before).
func TestListenSurvivesBadInvite(t *testing.T) {
	url := inProcServer(t)
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "id", "new", "-dir", filepath.Join(dir, "bob")); code != 0 {
		t.Fatal(stderr)
	}
	bob := startProc(t, "listen", "-as", "bob", "-dir", filepath.Join(dir, "bob"), "-calls", "1", "-direct",
		"-out", filepath.Join(dir, "bob.wav"), "-server", url)
	waitOutput(t, bob, "listening as bob")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	k, _ := e2ee.GenerateIdentityKey(nil)
	m, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, User: "mallory", Identity: k})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	id, _ := e2ee.NewCallID(nil)
	_ = m.Invite(id, "bob", []byte{1})
	for f := range m.Events() {
		if f.Type == signaling.TypeDeclined {
			break
		}
		if f.Type != signaling.TypeRinging {
			t.Fatalf("mallory got %s %s", f.Type, f.Code)
		}
	}
	waitOutput(t, bob, "bad invite")
	code, stdout, stderr := runCLI(t, "call", "bob", "-as", "alice", "-dir", filepath.Join(dir, "alice"), "-for", "1s", "-direct", "-server", url)
	if code != 0 {
		t.Fatalf("call exited %d:\n%s\n%s", code, stdout, stderr)
	}
	select {
	case <-bob.waited:
	case <-time.After(30 * time.Second):
		t.Fatalf("listen did not exit after its call:\n%s", bob.out.String())
	}
	line := bob.out.String()
	line = line[strings.Index(line, "declined"):]
	t.Logf("listen printed %q, then answered alice and exited %d", line[:strings.IndexByte(line, '\n')], bob.exitCode())
	if bob.exitCode() != 0 || !strings.Contains(bob.out.String(), "incoming call from alice") {
		t.Fatalf("listen exited %d:\n%s", bob.exitCode(), bob.out.String())
	}
}

// TestContactsAndKeyChange is the CLI side of issue 15 item 3: alice calls bob, verifies his
// key with 'parley contacts verify bob'; on another server a different key answers as bob
// and alice's call is refused with exit code 1 and the explanation, before any audio; after
// 'parley contacts forget bob' the call goes through again.
func TestContactsAndKeyChange(t *testing.T) {
	dir := t.TempDir()
	alice, bob1, bob2 := filepath.Join(dir, "alice"), filepath.Join(dir, "bob1"), filepath.Join(dir, "bob2")
	for _, d := range []string{alice, bob1, bob2} {
		if code, _, stderr := runCLI(t, "id", "new", "-dir", d); code != 0 {
			t.Fatal(stderr)
		}
	}
	if code, out, _ := runCLI(t, "contacts", "list", "-as", "alice", "-dir", alice); code != 0 || !strings.Contains(out, "no contacts") {
		t.Fatalf("empty list: %d %q", code, out)
	}
	call := func(bobDir string, extra ...string) (int, string) {
		url := inProcServer(t)
		b := startProc(t, "listen", "-as", "bob", "-dir", bobDir, "-calls", "1", "-direct", "-server", url)
		waitOutput(t, b, "listening as bob")
		code, stdout, stderr := runCLI(t, append([]string{"call", "bob", "-as", "alice", "-dir", alice, "-for", "1s", "-direct", "-server", url}, extra...)...)
		select {
		case <-b.waited:
		case <-time.After(30 * time.Second):
			t.Fatalf("listen did not exit:\n%s", b.out.String())
		}
		return code, stdout + stderr
	}
	if code, out := call(bob1); code != 0 || !strings.Contains(out, "new contact") {
		t.Fatalf("first call: %d\n%s", code, out)
	}
	code, out, _ := runCLI(t, "contacts", "verify", "bob", "-as", "alice", "-dir", alice)
	if code != 0 || !strings.Contains(out, "status:      verified") {
		t.Fatalf("verify: %d %q", code, out)
	}
	t.Logf("parley contacts verify bob:\n%s", out)

	code, out = call(bob2)
	t.Logf("call to a different key as bob: exit %d\n%s", code, lastLines(out, 3))
	if code != exitKeyChanged || !strings.Contains(out, "refused before any audio: bob's identity key is not the one you verified") ||
		!strings.Contains(out, "contacts forget") || strings.Contains(out, "connected via") {
		t.Fatalf("call to a changed verified key: exit %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "contacts", "forget", "bob", "-as", "alice", "-dir", alice); code != 0 {
		t.Fatalf("forget: %d %q", code, out)
	}
	if code, out := call(bob2, "-verify"); code != 0 || !strings.Contains(out, "-verify: bob's key is now marked verified") {
		t.Fatalf("after forget, with -verify: %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "contacts", "list", "-as", "alice", "-dir", alice)
	t.Logf("parley contacts list: %s", out)
	if code != 0 || !strings.Contains(out, "bob") || !strings.Contains(out, " verified 20") {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, _, _ := runCLI(t, "contacts", "show", "carol", "-as", "alice", "-dir", alice); code != 1 {
		t.Fatalf("show of an unknown contact exited %d", code)
	}
	if code, _, _ := runCLI(t, "contacts", "verify", "-as", "alice", "-dir", alice); code != 2 {
		t.Fatalf("verify without a name exited %d", code)
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}

// TestSASPromptOnTerminal: on a terminal (a pty from util-linux's script), parley call asks
// whether the peer sees the same SAS; y marks the contact verified, n hangs up at once.
func TestSASPromptOnTerminal(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Fatalf("script (util-linux, in every Debian) not found: %v", err)
	}
	url := inProcServer(t)
	dir := t.TempDir()
	alice := filepath.Join(dir, "alice")
	if code, _, stderr := runCLI(t, "id", "new", "-dir", alice); code != 0 {
		t.Fatal(stderr)
	}
	// call runs alice's 'parley call bob -for 20s' on a pty, answers the SAS prompt and
	// returns her output once the call ended.
	call := func(bobName, answer, after string) string {
		bob := startProc(t, "listen", "-as", bobName, "-dir", filepath.Join(dir, bobName), "-calls", "1", "-direct", "-server", url)
		waitOutput(t, bob, "listening as "+bobName)
		cmd := exec.Command(script, "-qfec", os.Args[0]+" call "+bobName+" -as alice -dir "+alice+" -for 20s -direct -server "+url, "/dev/null")
		cmd.Env = append(os.Environ(), "PARLEY_TEST_AS_CLI=1")
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		p := runProc(t, cmd, "alice on a terminal")
		waitOutput(t, p, "Does "+bobName+" see the same SAS?")
		if _, err := in.Write([]byte(answer + "\n")); err != nil {
			t.Fatal(err)
		}
		waitOutput(t, p, after)
		if answer == "y" {
			_, _ = in.Write([]byte{3}) // Ctrl-C through the pty: hang up now
		}
		select {
		case <-p.waited:
		case <-time.After(30 * time.Second):
			t.Fatal("the call did not end")
		}
		_ = in.Close()
		return p.out.String()
	}
	call("bob", "y", "bob verified")
	code, out, _ := runCLI(t, "contacts", "show", "bob", "-as", "alice", "-dir", alice)
	t.Logf("after answering y at the prompt, parley contacts show bob:\n%s", out)
	if code != 0 || !strings.Contains(out, "status:      verified") {
		t.Fatalf("contacts show: %d %q", code, out)
	}
	out = call("carol", "n", "hanging up (SAS mismatch)")
	t.Logf("answering n: %q", lastLines(out, 2))
	if code, show, _ := runCLI(t, "contacts", "show", "carol", "-as", "alice", "-dir", alice); code != 0 || !strings.Contains(show, "not verified") {
		t.Fatalf("carol after n: %d %q", code, show)
	}
}
