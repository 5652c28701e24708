package server

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"

	"github.com/parley-voice/parley/signaling"
)

// relayOnce allocates a relay on the TURN server at addr over network ("udp" or "tcp") with
// the given credential and checks that a datagram sent through it reaches a loopback peer.
func relayOnce(t *testing.T, network, addr string, info signaling.TURNInfo) error {
	t.Helper()
	var pc net.PacketConn
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		pc = c
	default:
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return err
		}
		pc = turn.NewSTUNConn(c)
	}
	defer pc.Close()
	client, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: addr, TURNServerAddr: addr, Conn: pc,
		Username: info.Username, Password: info.Credential,
		LoggerFactory: pionLogs{discard()},
	})
	if err != nil {
		return err
	}
	defer client.Close()
	if err := client.Listen(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	relay, err := client.AllocateWithContext(ctx)
	if err != nil {
		return fmt.Errorf("allocate: %w", err)
	}
	defer relay.Close()
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer peer.Close()
	msg := []byte("parley relay check")
	if _, err := relay.WriteTo(msg, peer.LocalAddr()); err != nil {
		return fmt.Errorf("relay write: %w", err)
	}
	_ = peer.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1500)
	n, from, err := peer.ReadFrom(buf)
	if err != nil {
		return fmt.Errorf("peer read: %w", err)
	}
	if !bytes.Equal(buf[:n], msg) {
		return fmt.Errorf("peer got %q", buf[:n])
	}
	if from.String() != relay.LocalAddr().String() {
		return fmt.Errorf("datagram from %v, relay is %v", from, relay.LocalAddr())
	}
	return nil
}

// loginTURN logs a fresh user in and returns the TURN info of its welcome.
func loginTURN(t *testing.T, ts *testServer, user string) signaling.TURNInfo {
	t.Helper()
	c := dial(t, ts.url, user, newIdentity(t), "")
	info := c.TURN()
	if info.Username == "" || info.Credential == "" || len(info.URLs) == 0 {
		t.Fatalf("no TURN credential in welcome: %v", info)
	}
	return info
}

func TestEmbeddedTURN(t *testing.T) {
	checkGoroutines(t)
	clk := newFakeClock()
	secret := []byte("embedded-secret")
	ts0, err := StartTURN(TURNServerConfig{Secret: secret, UDPAddr: "127.0.0.1:0", TCPAddr: "127.0.0.1:0", Clock: clk, AllowPeers: loopbackPeers})
	if err != nil {
		t.Fatal(err)
	}
	defer ts0.Close()
	ts := startServer(t, Config{Clock: clk, TURN: TURNConfig{Secret: secret, URLs: ts0.URLs(""), TTL: 5 * time.Minute}})
	info := loginTURN(t, ts, "alice")
	if info.TTL != 300 || !strings.HasSuffix(info.Username, ":alice") {
		t.Fatalf("info %v", info)
	}
	if err := relayOnce(t, "udp", ts0.UDPAddr().String(), info); err != nil {
		t.Fatalf("UDP: %v", err)
	}
	if err := relayOnce(t, "tcp", ts0.TCPAddr().String(), info); err != nil {
		t.Fatalf("TCP: %v", err)
	}
	bad := info
	bad.Credential = "AAAA" + bad.Credential[4:]
	if err := relayOnce(t, "udp", ts0.UDPAddr().String(), bad); err == nil {
		t.Fatal("wrong password allocated")
	}
	clk.Advance(5 * time.Minute)
	if err := relayOnce(t, "udp", ts0.UDPAddr().String(), info); err == nil {
		t.Fatal("expired credential allocated")
	}
	// A refreshed credential works again.
	c := dial(t, ts.url, "carol", newIdentity(t), "")
	old := c.TURN()
	clk.Advance(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fresh, err := c.RefreshTURN(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Username == old.Username || c.TURN().Username != fresh.Username {
		t.Fatal("credential not refreshed")
	}
	if err := relayOnce(t, "udp", ts0.UDPAddr().String(), fresh); err != nil {
		t.Fatalf("refreshed credential: %v", err)
	}
}

// freeUDPPort returns a loopback port free for UDP and TCP at the moment of asking.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(port))
		_ = pc.Close()
		if err == nil {
			_ = ln.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

func TestCoturnInterop(t *testing.T) {
	bin, err := exec.LookPath("turnserver")
	if err != nil {
		t.Fatalf("coturn (turnserver) not installed: run scripts/deps.sh (make test does): %v", err)
	}
	secret := "coturn-interop-secret"
	port := freeUDPPort(t)
	cmd := exec.Command(bin, "-n", "--listening-ip=127.0.0.1", "--listening-port="+strconv.Itoa(port),
		"--relay-ip=127.0.0.1", "--use-auth-secret", "--static-auth-secret="+secret, "--realm=parley.test",
		"--no-cli", "--no-tls", "--no-dtls", "--allow-loopback-peers", "--min-port=40000", "--max-port=40999",
		"--log-file=stdout", "--simple-log", "--pidfile=/dev/null")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(waited) }()
	defer func() {
		_ = cmd.Process.Kill()
		<-waited
		if t.Failed() {
			t.Logf("turnserver output:\n%s", out.String())
		}
	}()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	ts := startServer(t, Config{TURN: TURNConfig{Secret: []byte(secret), URLs: []string{"turn:" + addr + "?transport=udp"}}})
	info := loginTURN(t, ts, "alice")
	// coturn opens its listeners shortly after start: retry until it answers.
	deadline := time.Now().Add(15 * time.Second)
	for {
		err = relayOnce(t, "udp", addr, info)
		if err == nil {
			break
		}
		select {
		case <-waited:
			t.Fatalf("turnserver exited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("relay through coturn: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // coturn has no readiness signal
	}
	if err := relayOnce(t, "tcp", addr, info); err != nil {
		t.Fatalf("relay through coturn over TCP: %v", err)
	}
	bad := info
	bad.Credential = "AAAA" + bad.Credential[4:]
	if err := relayOnce(t, "udp", addr, bad); err == nil {
		t.Fatal("coturn accepted a forged credential")
	}
}
