package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
)

// startNATSServer runs the real nats-server with args (which make it listen at addr) until
// the test ends, and returns its URL once it accepts connections there.
func startNATSServer(t *testing.T, addr string, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		t.Fatalf("nats-server not installed: run scripts/deps.sh (make test does): %v", err)
	}
	ns := exec.Command(bin, args...)
	if err := ns.Start(); err != nil {
		t.Fatal(err)
	}
	nsDone := make(chan struct{})
	go func() { _ = ns.Wait(); close(nsDone) }()
	t.Cleanup(func() { _ = ns.Process.Kill(); <-nsDone })
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server did not come up: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // no readiness signal from the process
	}
	return "nats://" + addr
}

// TestServeNATSCredentials runs real 'parley serve -nats' processes against a real
// nats-server that requires authorization (issue 15 item 2): without credentials the node is
// refused and exits 1; with -nats-nkey, or -nats-user and $PARLEY_NATS_PASSWORD, it serves.
func TestServeNATSCredentials(t *testing.T) {
	kp, _ := nkeys.CreateUser()
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	dir := t.TempDir()
	seedFile := filepath.Join(dir, "node.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	natsAddr := freeAddr(t)
	host, port, _ := net.SplitHostPort(natsAddr)
	conf := filepath.Join(dir, "nats.conf")
	perms := `{ publish: ["parley.user.>", "_INBOX.>", "$KV.parley_users.>", "$JS.API.INFO",
	  "$JS.API.STREAM.INFO.KV_parley_users", "$JS.API.STREAM.CREATE.KV_parley_users",
	  "$JS.API.STREAM.UPDATE.KV_parley_users", "$JS.API.STREAM.MSG.GET.KV_parley_users",
	  "$JS.API.DIRECT.GET.KV_parley_users.>"], subscribe: ["parley.user.>", "_INBOX.>"] }`
	body := "listen: \"" + host + ":" + port + "\"\njetstream { store_dir: \"" + filepath.Join(dir, "js") + "\" }\n" +
		"authorization { users = [\n  { nkey: \"" + pub + "\", permissions: " + perms + " }\n" +
		"  { user: \"node2\", password: \"s3cret\", permissions: " + perms + " }\n] }\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	url := startNATSServer(t, natsAddr, "-c", conf)

	anon := startProc(t, "serve", "-addr", freeAddr(t), "-turn-listen", "", "-nats", url)
	select {
	case <-anon.waited:
	case <-time.After(30 * time.Second):
		t.Fatal("a node without credentials kept running")
	}
	t.Logf("without credentials: exit %d: %s", anon.exitCode(), strings.TrimSpace(anon.out.String()))
	if anon.exitCode() != 1 || !strings.Contains(anon.out.String(), "Authorization Violation") {
		t.Fatalf("without credentials: exit %d\n%s", anon.exitCode(), anon.out.String())
	}
	addr := freeAddr(t)
	n1 := startProc(t, "serve", "-addr", addr, "-turn-listen", "", "-nats", url, "-nats-nkey", seedFile)
	waitHealthy(t, n1, addr)
	addr2 := freeAddr(t)
	t.Setenv("PARLEY_NATS_PASSWORD", "s3cret") // inherited by the child
	n2 := startProc(t, "serve", "-addr", addr2, "-turn-listen", "", "-nats", url, "-nats-user", "node2")
	waitHealthy(t, n2, addr2)
	n1.stop()
	n2.stop()
	if code, _, stderr := runCLI(t, "serve", "-nats-nkey", seedFile); code != 2 || !strings.Contains(stderr, "need -nats") {
		t.Fatalf("-nats-nkey without -nats: exit %d %q", code, stderr)
	}
}
