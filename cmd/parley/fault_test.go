package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling"
	"github.com/parley-voice/parley/signaling/server"
)

// jsonLines collects the JSON objects a '-stats json' process prints, with the time each line
// was first seen.
type jsonLines struct {
	p    *proc
	mu   sync.Mutex
	seen int // bytes of p.out already parsed
	objs []timedObj
}

type timedObj struct {
	at time.Time
	v  map[string]any
}

// poll parses the complete lines printed since the last poll.
func (j *jsonLines) poll() []timedObj {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := j.p.out.String()
	now := time.Now()
	for {
		rest := out[j.seen:]
		i := strings.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		line := rest[:i]
		j.seen += i + 1
		if strings.HasPrefix(line, "{") {
			var v map[string]any
			if json.Unmarshal([]byte(line), &v) == nil {
				j.objs = append(j.objs, timedObj{now, v})
			}
		}
	}
	return j.objs
}

// waitFor polls until ok holds for one object (returned) or d passes.
// heardPeer reports whether o is a per-second stats object in which packets arrived from the peer.
func heardPeer(o timedObj) bool {
	n, _ := field(o, "in", "packets").(float64)
	return field(o, "type") == "stats" && n > 0
}

func (j *jsonLines) waitFor(t *testing.T, d time.Duration, what string, ok func(timedObj) bool) timedObj {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		for _, o := range j.poll() {
			if ok(o) {
				return o
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v:\n%s", what, d, j.p.out.String())
		}
		time.Sleep(10 * time.Millisecond) // polling a child's output
	}
}

func field(o timedObj, path ...string) any {
	var v any = o.v
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// TestFaultPeerKilled: alice's real 'parley call' process is in a call with bob's real
// 'parley listen' process when bob's is killed with SIGKILL. Alice's per-second statistics
// show 100 % loss at once, her call ends as peer_lost within 10 s of the kill, and her
// process exits non-zero (exitPeerLost).
func TestFaultPeerKilled(t *testing.T) {
	url := inProcServer(t)
	dir := t.TempDir()
	bob := startProc(t, "listen", "-as", "bob", "-dir", filepath.Join(dir, "bob"), "-direct", "-server", url)
	waitOutput(t, bob, "listening as bob")
	alice := startProc(t, "call", "bob", "-as", "alice", "-dir", filepath.Join(dir, "alice"), "-direct", "-for", "2m", "-stats", "json", "-server", url)
	j := &jsonLines{p: alice}
	j.waitFor(t, 30*time.Second, "a second with audio from bob", heardPeer)
	bob.kill()
	killed := time.Now()
	lossy := j.waitFor(t, 10*time.Second, "a second with 100 % loss", func(o timedObj) bool {
		l, _ := field(o, "in", "loss").(float64)
		return o.at.After(killed) && field(o, "type") == "stats" && l >= 1
	})
	end := j.waitFor(t, 15*time.Second, "the end of the call", func(o timedObj) bool { return field(o, "type") == "ended" })
	select {
	case <-alice.waited:
	case <-time.After(10 * time.Second):
		t.Fatal("alice's process did not exit after the call ended")
	}
	t.Logf("bob killed; alice's first 100%%-loss line printed %v after the kill, call ended %q (%q) after %v, exit %d",
		lossy.at.Sub(killed).Round(time.Millisecond), field(end, "reason"), field(end, "message"), end.at.Sub(killed).Round(time.Millisecond), alice.exitCode())
	before := 0 // statistics lines after the kill that did not show 100 % loss yet
	for _, o := range j.poll() {
		if o.at.After(killed) && field(o, "type") == "stats" && o.at.Before(lossy.at) {
			before++
		}
	}
	if before > 1 { // the first line may still cover a part-second of audio from before the kill
		t.Errorf("%d statistics lines after the kill before one showed 100 %% loss", before)
	}
	if field(end, "reason") != "peer_lost" || end.at.Sub(killed) > 10*time.Second || alice.exitCode() != exitPeerLost {
		t.Fatalf("ended %v after %v, exit %d; want peer_lost within 10 s, exit %d", field(end, "reason"), end.at.Sub(killed), alice.exitCode(), exitPeerLost)
	}
}

// metric reads one value from a node's /metrics.
func metric(t *testing.T, addr, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + server.PathMetrics)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}

// TestFaultServerRestart: the real 'parley serve' process is killed (SIGKILL) in the middle
// of a call between two real processes and started again on the same address and -data.
// The call carries on (audio keeps arriving every second), both clients log in to the
// restarted server, the call ends normally, and bob, still listening, takes a second call
// through the restarted server.
func TestFaultServerRestart(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	serve := func() *proc {
		p := startProc(t, "serve", "-addr", addr, "-turn-listen", "", "-data", filepath.Join(dir, "data"))
		waitHealthy(t, p, addr)
		return p
	}
	url := "ws://" + addr + server.PathWS
	for _, u := range []string{"alice", "bob"} { // keys of their own: the restarted server remembers the names
		if code, _, stderr := runCLI(t, "id", "new", "-dir", filepath.Join(dir, u)); code != 0 {
			t.Fatal(stderr)
		}
	}
	srv := serve()
	bob := startProc(t, "listen", "-as", "bob", "-dir", filepath.Join(dir, "bob"), "-direct", "-calls", "2", "-server", url)
	waitOutput(t, bob, "listening as bob")
	alice := startProc(t, "call", "bob", "-as", "alice", "-dir", filepath.Join(dir, "alice"), "-direct", "-for", "8s", "-stats", "json", "-server", url)
	j := &jsonLines{p: alice}
	j.waitFor(t, 30*time.Second, "audio from bob", heardPeer)
	srv.kill()
	killed := time.Now()
	srv = serve()
	defer srv.stop()
	t.Logf("server killed and restarted in %v", time.Since(killed).Round(time.Millisecond))
	deadline := time.Now().Add(30 * time.Second)
	for metric(t, addr, "parley_signaling_connections") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("clients did not reconnect to the restarted server: %v connections", metric(t, addr, "parley_signaling_connections"))
		}
		time.Sleep(50 * time.Millisecond) // polling the server's metrics
	}
	t.Logf("both clients logged in to the restarted server %v after the kill", time.Since(killed).Round(time.Millisecond))
	select {
	case <-alice.waited:
	case <-time.After(40 * time.Second):
		t.Fatalf("alice's call did not end:\n%s", alice.out.String())
	}
	var after, quiet int
	for _, o := range j.poll() {
		if field(o, "type") == "stats" && o.at.After(killed) {
			after++
			if n, _ := field(o, "in", "packets").(float64); n == 0 {
				quiet++
			}
		}
	}
	end := j.poll()[len(j.poll())-1]
	t.Logf("after the kill alice printed %d seconds of statistics, %d without audio; ended %q, exit %d", after, quiet, field(end, "reason"), alice.exitCode())
	if after < 3 || quiet > 0 || alice.exitCode() != 0 || field(end, "reason") != "hangup" {
		t.Fatalf("the call did not carry on: %d seconds after the kill, %d silent, ended %v, exit %d\n%s", after, quiet, field(end, "reason"), alice.exitCode(), alice.out.String())
	}
	code, stdout, stderr := runCLI(t, "call", "bob", "-as", "alice", "-dir", filepath.Join(dir, "alice"), "-direct", "-for", "1s", "-server", url)
	if code != 0 {
		t.Fatalf("second call through the restarted server: exit %d\n%s%s", code, stdout, stderr)
	}
	select {
	case <-bob.waited:
	case <-time.After(30 * time.Second):
		t.Fatalf("listen did not finish its two calls:\n%s", bob.out.String())
	}
	if bob.exitCode() != 0 {
		t.Fatalf("listen exited %d:\n%s", bob.exitCode(), bob.out.String())
	}
}

// TestFaultNATSNodeKilled: two real 'parley serve -nats' nodes on a real nats-server; node 2
// is killed with SIGKILL. A call between two users of node 1 still sets up; bob, who was on
// node 2 with node 1 as his fallback, reconnects there and can be called again.
func TestFaultNATSNodeKilled(t *testing.T) {
	natsAddr := freeAddr(t)
	host, port, _ := net.SplitHostPort(natsAddr)
	natsURL := startNATSServer(t, natsAddr, "-a", host, "-p", port, "-js", "-sd", t.TempDir())
	node := func(id string) (*proc, string) {
		addr := freeAddr(t)
		p := startProc(t, "serve", "-addr", addr, "-turn-listen", "", "-nats", natsURL, "-id", id)
		waitHealthy(t, p, addr)
		return p, "ws://" + addr + server.PathWS
	}
	_, url1 := node("n1")
	n2, url2 := node("n2")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dial := func(user, url string, fallbacks ...string) *signaling.Client {
		k, _ := e2ee.GenerateIdentityKey(nil)
		c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, Fallbacks: fallbacks, User: user, Identity: k})
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	alice, carol := dial("alice", url1), dial("carol", url1)
	bob := dial("bob", url2, url1)
	expect := func(c *signaling.Client, want signaling.Type) *signaling.Frame {
		t.Helper()
		for {
			select {
			case f := <-c.Events():
				if f.Type == want {
					return f
				}
				if f.Type != signaling.TypeError && f.Type != signaling.TypeReconnect {
					t.Fatalf("%s got %s (%s %s), want %s", c.User(), f.Type, f.Code, f.Reason, want)
				}
				t.Logf("%s: %s %s", c.User(), f.Code, f.Reason)
			case <-ctx.Done():
				t.Fatalf("%s: no %s", c.User(), want)
			}
		}
	}
	ring := func(from, to *signaling.Client) {
		t.Helper()
		id, _ := e2ee.NewCallID(nil)
		_ = from.Invite(id, to.User(), []byte{1})
		expect(from, signaling.TypeRinging)
		expect(to, signaling.TypeIncoming)
		_ = to.Accept(id, []byte{2})
		expect(to, signaling.TypeConnected)
		expect(from, signaling.TypeAccepted)
		_ = from.Hangup(id)
		expect(to, signaling.TypeHangup)
	}
	ring(alice, bob) // across the nodes
	n2.kill()
	killed := time.Now()
	ring(alice, carol) // on the surviving node
	// Bob reconnects to node 1 (a new session there); until then he is unavailable.
	for tries := 0; ; tries++ {
		id, _ := e2ee.NewCallID(nil)
		_ = alice.Invite(id, "bob", []byte{1})
		f := <-alice.Events()
		if f.Type == signaling.TypeRinging {
			expect(bob, signaling.TypeIncoming)
			_ = alice.Cancel(id)
			break
		}
		if f.Type != signaling.TypeUnavailable || tries > 200 {
			t.Fatalf("alice got %s (%s) calling bob after node 2 died", f.Type, f.Reason)
		}
		time.Sleep(50 * time.Millisecond) // bob's reconnect has no event on alice's side
	}
	t.Logf("node 2 killed; a call on node 1 set up; bob rang again through node 1 %v after the kill", time.Since(killed).Round(time.Millisecond))
}
