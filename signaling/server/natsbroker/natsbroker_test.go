package natsbroker

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling"
	"github.com/parley-voice/parley/signaling/server"
)

type natsProc struct {
	url    string
	cmd    *exec.Cmd
	waited chan struct{}
}

func (p *natsProc) stop() {
	_ = p.cmd.Process.Kill()
	<-p.waited
}

// freePort returns a loopback TCP port free at the moment of asking.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return port
}

// launchNATS starts Debian's nats-server with args (which make it listen on loopback port
// port), its output going to out (nil: discarded). It does not wait for the server to come
// up; the caller stops it.
func launchNATS(t *testing.T, port int, out io.Writer, args ...string) *natsProc {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		t.Fatalf("nats-server not installed: run scripts/deps.sh (make test does): %v", err)
	}
	cmd := exec.Command(bin, args...)
	if out != nil {
		cmd.Stdout, cmd.Stderr = out, out
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &natsProc{url: "nats://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, waited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.waited) }()
	return p
}

// startNATS runs Debian's nats-server with JetStream on a free loopback port.
func startNATS(t *testing.T) *natsProc {
	t.Helper()
	port := freePort(t)
	p := launchNATS(t, port, nil, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", t.TempDir())
	t.Cleanup(p.stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := nats.Connect(p.url)
		if err == nil {
			nc.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server did not come up: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // no readiness signal from the process
	}
}

type node struct {
	srv *server.Server
	url string
}

func startNode(t *testing.T, natsURL, id string, opts ...nats.Option) *node {
	t.Helper()
	b, err := Connect(natsURL, append([]nats.Option{nats.ReconnectWait(50 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reg, err := NewRegistry(ctx, b, "")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{ID: id, Broker: b, Registry: reg, BrokerTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); <-done; _ = b.Close() })
	return &node{srv: srv, url: "ws://" + ln.Addr().String() + server.PathWS}
}

func dial(t *testing.T, url, user string, id *e2ee.IdentityKey, device string) *signaling.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, User: user, Identity: id, Device: device})
	if err != nil {
		t.Fatalf("dial %s: %v", user, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func expect(t *testing.T, c *signaling.Client, typ signaling.Type) *signaling.Frame {
	t.Helper()
	select {
	case f, ok := <-c.Events():
		if !ok {
			t.Fatalf("%s: events closed", c.User())
		}
		if f.Type != typ {
			t.Fatalf("%s/%s: got %s (%s %s), want %s", c.User(), c.Device(), f.Type, f.Code, f.Reason, typ)
		}
		return f
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no %s", c.User(), typ)
	}
	return nil
}

func ident(t *testing.T) *e2ee.IdentityKey {
	t.Helper()
	k, err := e2ee.GenerateIdentityKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func callID(t *testing.T) e2ee.CallID {
	t.Helper()
	id, err := e2ee.NewCallID(nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// checkGoroutines fails t if goroutines outlive the test's cleanups.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Errorf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(5 * time.Millisecond) // polling a count: no event to wait on
		}
	})
}

func TestTwoNodesOverNATS(t *testing.T) {
	checkGoroutines(t)
	nsrv := startNATS(t)
	n1 := startNode(t, nsrv.url, "node-1")
	n2 := startNode(t, nsrv.url, "node-2")
	aID, bID := ident(t), ident(t)
	a := dial(t, n1.url, "alice", aID, "")
	b := dial(t, n2.url, "bob", bID, "")

	// The full agreement across nodes: equal SAS.
	call := callID(t)
	caller, _ := e2ee.NewCaller(e2ee.Config{Identity: aID, CallID: call})
	commit, _ := caller.Start()
	cb, _ := commit.MarshalBinary()
	_ = a.Invite(call, "bob", cb)
	expect(t, a, signaling.TypeRinging)
	in := expect(t, b, signaling.TypeIncoming)
	var c1 e2ee.Commit
	if err := c1.UnmarshalBinary(in.Data); err != nil {
		t.Fatal(err)
	}
	callee, _ := e2ee.NewCallee(e2ee.Config{Identity: bID, CallID: call})
	resp, err := callee.Respond(&c1)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := resp.MarshalBinary()
	_ = b.Accept(call, rb)
	expect(t, b, signaling.TypeConnected)
	acc := expect(t, a, signaling.TypeAccepted)
	var r2 e2ee.Response
	_ = r2.UnmarshalBinary(acc.Data)
	rev, sa, err := caller.Finish(&r2)
	if err != nil {
		t.Fatal(err)
	}
	vb, _ := rev.MarshalBinary()
	_ = a.Relay(call, vb)
	rel := expect(t, b, signaling.TypeRelay)
	var r3 e2ee.Reveal
	_ = r3.UnmarshalBinary(rel.Data)
	sb, err := callee.Finish(&r3)
	if err != nil {
		t.Fatal(err)
	}
	if !sa.SAS().Equal(sb.SAS()) {
		t.Fatal("SAS differ across nodes")
	}
	_ = b.Hangup(call)
	expect(t, a, signaling.TypeHangup)

	// Bob's second device on node 1: both ring, the first accept wins.
	b2 := dial(t, n1.url, "bob", bID, "laptop")
	call = callID(t)
	_ = a.Invite(call, "bob", []byte{1})
	expect(t, a, signaling.TypeRinging)
	expect(t, b, signaling.TypeIncoming)
	expect(t, b2, signaling.TypeIncoming)
	_ = b2.Accept(call, []byte{2})
	expect(t, b2, signaling.TypeConnected)
	if f := expect(t, b, signaling.TypeCancelled); f.Reason != signaling.ReasonAnsweredElsewhere {
		t.Fatalf("reason %q", f.Reason)
	}
	expect(t, a, signaling.TypeAccepted)

	// Offline users are unavailable at once, cluster-wide.
	_ = a.Invite(callID(t), "nobody", []byte{1})
	expect(t, a, signaling.TypeUnavailable)

	// Hang-up, decline and cancel cross nodes too.
	_ = a.Hangup(call)
	expect(t, b2, signaling.TypeHangup)
	call = callID(t)
	_ = a.Invite(call, "bob", []byte{1})
	expect(t, a, signaling.TypeRinging)
	expect(t, b, signaling.TypeIncoming)
	expect(t, b2, signaling.TypeIncoming)
	_ = b.Decline(call) // on node 2
	expect(t, a, signaling.TypeDeclined)
	if f := expect(t, b2, signaling.TypeCancelled); f.Reason != signaling.ReasonDeclinedElsewhere {
		t.Fatalf("reason %q", f.Reason)
	}
	call = callID(t)
	_ = a.Invite(call, "bob", []byte{1})
	expect(t, a, signaling.TypeRinging)
	expect(t, b, signaling.TypeIncoming)
	expect(t, b2, signaling.TypeIncoming)
	_ = a.Cancel(call)
	expect(t, b, signaling.TypeCancelled)
	expect(t, b2, signaling.TypeCancelled)
}

func TestRegistrationRaceAcrossNodes(t *testing.T) {
	checkGoroutines(t)
	nsrv := startNATS(t)
	nodes := []*node{startNode(t, nsrv.url, "node-1"), startNode(t, nsrv.url, "node-2")}
	for round := range 5 {
		name := "racer" + strconv.Itoa(round)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: nodes[i].url, User: name, Identity: ident(t)})
				errs[i] = err
				if err == nil {
					_ = c.Close()
				}
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else if !errors.Is(err, signaling.ErrAuth) {
				t.Fatal(err)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d winners (%v)", round, wins, errs)
		}
	}
}

func TestNATSFailureMidSetup(t *testing.T) {
	checkGoroutines(t)
	nsrv := startNATS(t)
	n1 := startNode(t, nsrv.url, "node-1")
	n2 := startNode(t, nsrv.url, "node-2")
	a := dial(t, n1.url, "alice", ident(t), "")
	b := dial(t, n2.url, "bob", ident(t), "")
	call := callID(t)
	_ = a.Invite(call, "bob", []byte{1})
	expect(t, a, signaling.TypeRinging)
	expect(t, b, signaling.TypeIncoming)
	nsrv.stop()
	// The ringing call ends with an error for the caller, not a silent ring.
	if f := expect(t, a, signaling.TypeError); f.Code != signaling.CodeRoute || f.Call != call {
		t.Fatalf("got %+v", f)
	}
	// New invites fail at once while the cluster is unreachable.
	call = callID(t)
	start := time.Now()
	_ = a.Invite(call, "bob", []byte{1})
	if f := expect(t, a, signaling.TypeError); f.Code != signaling.CodeRoute || f.Call != call {
		t.Fatalf("got %+v", f)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("error took %v", d)
	}
	// The node reports itself unhealthy while it cannot reach the cluster.
	resp, err := http.Get("http://" + strings.TrimSuffix(strings.TrimPrefix(n1.url, "ws://"), server.PathWS) + server.PathHealth)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("healthz %d while NATS is down", resp.StatusCode)
	}
}
