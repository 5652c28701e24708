package server

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

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
