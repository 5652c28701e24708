package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling"
	"github.com/parley-voice/parley/signaling/server"
)

// TestMain lets tests run this test binary as the real 'parley' process: with
// PARLEY_TEST_AS_CLI=1 it is the CLI (main) instead of the test runner, so fault tests can
// kill and restart real processes without building the binary first.
func TestMain(m *testing.M) {
	if os.Getenv("PARLEY_TEST_AS_CLI") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// proc is a 'parley' child process.
type proc struct {
	cmd    *exec.Cmd
	out    *syncBuffer // stdout and stderr
	waited chan struct{}
	err    error // Wait's result, after waited is closed
}

// startProc runs 'parley args...' as a child process; it is killed at cleanup.
func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "PARLEY_TEST_AS_CLI=1")
	return runProc(t, cmd, "parley "+strings.Join(args, " "))
}

// runProc starts cmd with its stdout and stderr collected in the returned proc; at cleanup
// it is killed, and its output logged under label if the test failed.
func runProc(t *testing.T, cmd *exec.Cmd, label string) *proc {
	t.Helper()
	p := &proc{cmd: cmd, out: &syncBuffer{}, waited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.waited) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("%s:\n%s", label, p.out.String())
		}
	})
	return p
}

// kill sends SIGKILL and waits for the process to end.
func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.waited
}

// stop sends SIGINT and waits (up to 15 s, then SIGKILL) for a clean exit.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.waited:
	case <-time.After(15 * time.Second):
		p.kill()
	}
}

// exitCode is the process's exit code once it ended (-1 when killed by a signal).
func (p *proc) exitCode() int {
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		return -1
	}
	return 0
}

// freeAddr returns a loopback TCP address free at the moment of asking.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitHealthy waits until the parley serve at addr answers /healthz.
func waitHealthy(t *testing.T, p *proc, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + server.PathHealth)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-p.waited:
			t.Fatalf("parley serve exited: %v\n%s", p.err, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("parley serve at %s not healthy: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond) // a child process has no readiness signal
	}
}

// TestServeKeepsNamesAcrossRestart is issue 15 item 8: a name bound on a single node is still
// bound to its key after the real 'parley serve' process is killed and started again on the
// same -data directory, so another key is refused it.
func TestServeKeepsNamesAcrossRestart(t *testing.T) {
	data := t.TempDir()
	addr := freeAddr(t)
	serve := func() *proc {
		p := startProc(t, "serve", "-addr", addr, "-turn-listen", "", "-data", data)
		waitHealthy(t, p, addr)
		return p
	}
	url := "ws://" + addr + server.PathWS
	owner, thief := newKey(t), newKey(t)
	login := func(k *e2ee.IdentityKey) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, User: "alice", Identity: k})
		if err == nil {
			_ = c.Close()
		}
		return err
	}
	p := serve()
	if err := login(owner); err != nil {
		t.Fatal(err)
	}
	p.kill() // no clean shutdown: the binding must already be on disk
	p = serve()
	defer p.stop()
	err := login(thief)
	t.Logf("after a kill -9 and restart, another key logging in as alice: %v", err)
	if !errors.Is(err, signaling.ErrAuth) {
		t.Fatalf("another key took alice after a restart: %v", err)
	}
	if err := login(owner); err != nil {
		t.Fatalf("the owner after a restart: %v", err)
	}
}

func newKey(t *testing.T) *e2ee.IdentityKey {
	t.Helper()
	k, err := e2ee.GenerateIdentityKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
