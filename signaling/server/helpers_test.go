package server

import (
	"context"
	"log/slog"
	"net"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling"
)

// fakeClock is a manual Clock: timers fire (in their own goroutines) only in Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c    *fakeClock
	at   time.Time
	f    func()
	dead bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.dead
	t.dead = true
	return was
}

// Advance moves time forward and runs due timers synchronously, in deadline order.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.dead:
		case !t.at.After(c.now):
			t.dead = true
			due = append(due, t)
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, t := range due {
		t.f()
	}
}

// checkGoroutines fails t if, after cleanup, more goroutines run than before the test.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutines: %d before, %d after\n%s", before, n, buf)
				return
			}
			runtime.Gosched()
			time.Sleep(5 * time.Millisecond) // polling a count: no event to wait on
		}
	})
}

type testServer struct {
	*Server
	url  string
	addr string
}

// startServer serves cfg on a free loopback port; it is closed at cleanup.
func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	srv, err := New(cfg)
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
	return &testServer{Server: srv, addr: ln.Addr().String(), url: "ws://" + ln.Addr().String() + PathWS}
}

func newIdentity(t *testing.T) *e2ee.IdentityKey {
	t.Helper()
	k, err := e2ee.GenerateIdentityKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
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

// next returns the client's next event, failing after 10 s.
func next(t *testing.T, c *signaling.Client) *signaling.Frame {
	t.Helper()
	select {
	case f, ok := <-c.Events():
		if !ok {
			t.Fatalf("%s/%s: events closed: %v", c.User(), c.Device(), c.Err())
		}
		return f
	case <-time.After(10 * time.Second):
		t.Fatalf("%s/%s: no event", c.User(), c.Device())
	}
	return nil
}

// expect returns the next event and fails unless it has type typ.
func expect(t *testing.T, c *signaling.Client, typ signaling.Type) *signaling.Frame {
	t.Helper()
	f := next(t, c)
	if f.Type != typ {
		t.Fatalf("%s/%s: got %s (code %q reason %q), want %s", c.User(), c.Device(), f.Type, f.Code, f.Reason, typ)
	}
	return f
}

func newCallID(t *testing.T) e2ee.CallID {
	t.Helper()
	id, err := e2ee.NewCallID(nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func serveBench(b *testing.B, srv *Server) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	return "ws://" + ln.Addr().String() + PathWS
}

func dialBench(b *testing.B, url, user string) *signaling.Client {
	k, _ := e2ee.GenerateIdentityKey(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, User: user, Identity: k})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return c
}
