package server

import (
	"github.com/prometheus/client_golang/prometheus/testutil"

	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-voice/parley/signaling"
)

func TestInviteRateLimit(t *testing.T) {
	checkGoroutines(t)
	clk := newFakeClock()
	ts := startServer(t, Config{Clock: clk, Limits: Limits{InvitesPerSec: 1, UserInvitesPerSec: 100}})
	a := dial(t, ts.url, "alice", newIdentity(t), "")
	for i := range 4 { // burst is 2×rate+1 = 3
		_ = a.Invite(newCallID(t), "nobody", []byte{1})
		f := next(t, a)
		want := signaling.TypeUnavailable
		if i == 3 {
			want = signaling.TypeError
			if f.Code != signaling.CodeRateLimited {
				t.Fatalf("code %q", f.Code)
			}
		}
		if f.Type != want {
			t.Fatalf("invite %d: %s", i, f.Type)
		}
	}
	clk.Advance(time.Second)
	_ = a.Invite(newCallID(t), "nobody", []byte{1})
	expect(t, a, signaling.TypeUnavailable)
}

func TestMaxConnsPerIP(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, Config{Limits: Limits{MaxConnsPerIP: 2}})
	dial(t, ts.url, "alice", newIdentity(t), "")
	dial(t, ts.url, "bob", newIdentity(t), "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ts.url, User: "carol", Identity: newIdentity(t)}); err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("third connection: %v", err)
	}
}

func TestSlowReaderDisconnected(t *testing.T) {
	checkGoroutines(t)
	floodSloth(t, Limits{SendQueue: 8, MaxUnacked: 1 << 20, MaxUnackedBytes: 1 << 30, MessagesPerSec: -1, UserMessagesPerSec: -1}, "slow_reader")
}

func TestUnackedBoundEndsSession(t *testing.T) {
	checkGoroutines(t)
	floodSloth(t, Limits{MaxUnackedBytes: 256 << 10, MessagesPerSec: -1, UserMessagesPerSec: -1}, "queue_full")
}

// floodSloth relays large frames to a client that accepted a call and then stopped reading
// (and acking) until the server cuts it off, and checks the reason it counted.
func floodSloth(t *testing.T, limits Limits, reason string) {
	t.Helper()
	ts := startServer(t, Config{Limits: limits})
	a := dial(t, ts.url, "alice", newIdentity(t), "")
	// A tiny receive buffer makes the stall show after kilobytes, not megabytes.
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			_ = c.(*net.TCPConn).SetReadBuffer(4096)
		}
		return c, err
	}}
	defer tr.CloseIdleConnections()
	ws, _ := rawLoginOpts(t, ts.url, "sloth", newIdentity(t), nil, &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}})
	call := newCallID(t)
	_ = a.Invite(call, "sloth", []byte{1})
	expect(t, a, signaling.TypeRinging)
	if f := readRaw(t, ws); f.Type != signaling.TypeIncoming {
		t.Fatalf("got %s", f.Type)
	}
	writeRaw(t, ws, &signaling.Frame{V: 1, Type: signaling.TypeAccept, Seq: 1, Call: call, Data: []byte{2}})
	expect(t, a, signaling.TypeAccepted)
	big := make([]byte, signaling.MaxDataSize)
	for i := 0; ts.m.conns.Load() == 2; i++ {
		if i > 20000 {
			t.Fatal("sloth never disconnected")
		}
		_ = a.Relay(call, big)
		if i%64 == 63 {
			drainAcks(a)
		}
	}
	if n := testutil.ToFloat64(ts.m.rejects.WithLabelValues(reason)); n != 1 {
		t.Fatalf("%s rejects = %v", reason, n)
	}
}

// drainAcks discards pending events without blocking (errors while the sender floods).
func drainAcks(c *signaling.Client) {
	for {
		select {
		case <-c.Events():
		default:
			return
		}
	}
}

func TestShutdownTellsClientsToReconnect(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, Config{})
	a := dial(t, ts.url, "alice", newIdentity(t), "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() { _ = ts.Shutdown(ctx) }()
	expect(t, a, signaling.TypeReconnect)
}

func TestHealthAndMetrics(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, Config{})
	dial(t, ts.url, "alice", newIdentity(t), "")
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + ts.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(PathHealth); code != 200 || body != "ok\n" {
		t.Fatalf("healthz %d %q", code, body)
	}
	code, body := get(PathMetrics)
	for _, want := range []string{"parley_signaling_connections 1", "parley_signaling_registrations_total 1", "parley_signaling_logins_total 1",
		`parley_signaling_frame_handling_seconds_bucket{le="+Inf"} 0`} {
		if code != 200 || !strings.Contains(body, want+"\n") {
			t.Fatalf("metrics lack %q:\n%s", want, body)
		}
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestShutdownMovesClientsToAnotherNode(t *testing.T) {
	checkGoroutines(t)
	broker, reg := &MemoryBroker{}, &MemoryRegistry{}
	n1 := startServer(t, Config{ID: "n1", Broker: broker, Registry: reg})
	n2 := startServer(t, Config{ID: "n2", Broker: broker, Registry: reg})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := signaling.Dial(ctx, signaling.ClientConfig{URL: n1.url, Fallbacks: []string{n2.url}, User: "bob", Identity: newIdentity(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a := dial(t, n2.url, "alice", newIdentity(t), "")
	go func() { _ = n1.Shutdown(ctx) }()
	expect(t, b, signaling.TypeReconnect)
	if f := expect(t, b, signaling.TypeError); f.Code != "session_lost" {
		t.Fatalf("code %q", f.Code)
	}
	// Bob is now on node 2 and reachable.
	call := newCallID(t)
	_ = a.Invite(call, "bob", []byte{1})
	expect(t, a, signaling.TypeRinging)
	expect(t, b, signaling.TypeIncoming)
}
