package server

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-voice/parley/signaling"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeLogsLoginsAndOutcomes: at Info, a server logs each login and each call's outcome in
// one line (what 'parley serve' shows an operator), naming users but nothing of the content.
func TestServeLogsLoginsAndOutcomes(t *testing.T) {
	var buf lockedBuffer
	ts := startServer(t, Config{Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})),
		RingTimeout: 200 * time.Millisecond})
	a := dial(t, ts.url, "alice", newIdentity(t), "laptop")
	b := dial(t, ts.url, "bob", newIdentity(t), "phone")
	if err := a.Invite(newCallID(t), "nobody", []byte{1}); err != nil {
		t.Fatal(err)
	}
	expect(t, a, signaling.TypeUnavailable)
	call := newCallID(t)
	if err := a.Invite(call, "bob", []byte{1}); err != nil {
		t.Fatal(err)
	}
	expect(t, a, signaling.TypeRinging)
	expect(t, b, signaling.TypeIncoming)
	expect(t, a, signaling.TypeTimeout)
	deadline := time.Now().Add(10 * time.Second)
	want := []string{
		`msg="signaling: logged in" user=alice device=laptop`,
		`msg="signaling: logged in" user=bob device=phone`,
		`msg="signaling: call" outcome=unavailable caller=alice callee=nobody`,
		`msg="signaling: call" outcome=timeout caller=alice callee=bob`,
	}
	for _, w := range want {
		for !strings.Contains(buf.String(), w) {
			if time.Now().After(deadline) {
				t.Fatalf("the log lacks %q:\n%s", w, buf.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	t.Logf("server log:\n%s", buf.String())
}

// TestClientReportsReconnect: ClientConfig.OnConnectionChange hears a dropped connection and the
// resumed one (what 'parley call' turns into "reconnecting…").
func TestClientReportsReconnect(t *testing.T) {
	ts := startServer(t, Config{})
	var mu sync.Mutex
	var first *websocket.Conn
	changes := make(chan bool, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ts.url, User: "alice", Identity: newIdentity(t), Device: "laptop",
		Dial: func(ctx context.Context, url string) (*websocket.Conn, error) {
			ws, _, err := websocket.Dial(ctx, url, nil)
			mu.Lock()
			if first == nil {
				first = ws
			}
			mu.Unlock()
			return ws, err
		},
		OnConnectionChange: func(up bool, err error) { changes <- up }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mu.Lock()
	_ = first.CloseNow() // the connection drops
	mu.Unlock()
	for _, want := range []bool{false, true} {
		select {
		case got := <-changes:
			if got != want {
				t.Fatalf("OnConnectionChange(%v), want %v", got, want)
			}
		case <-ctx.Done():
			t.Fatalf("no OnConnectionChange(%v)", want)
		}
	}
}
