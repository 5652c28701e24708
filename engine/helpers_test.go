package engine

import (
	"context"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/parley-voice/parley/internal/natlab"
)

// lab builds a natlab with two peers and returns configs using it (STUN and TURN from the lab).
func lab(t testing.TB, a, b natlab.NAT) (*natlab.Lab, Config, Config) {
	t.Helper()
	l, err := natlab.New(natlab.Config{Peers: []natlab.PeerConfig{{Name: "alice", NAT: a}, {Name: "bob", NAT: b}}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := func(p *natlab.Peer) Config {
		user, pass, err := l.Credentials(p.Name)
		if err != nil {
			t.Fatal(err)
		}
		return Config{
			Net: p.Net(),
			ICEServers: []ICEServer{
				{URLs: []string{l.STUNURL()}},
				{URLs: l.TURNURLs()[:1], Username: user, Credential: pass},
			},
		}
	}
	return l, cfg(l.Peers()[0]), cfg(l.Peers()[1])
}

// connect places a call from a to b over a Pipe, answering as soon as the invite arrives.
func connect(t testing.TB, ctx context.Context, ca, cb Config) (*Call, *Call) {
	t.Helper()
	a, b, _, _ := connectPipes(t, ctx, ca, cb)
	return a, b
}

// waitState reads c's events until one reaches want; it fails on the end of the call (unless
// want is StateEnded) or at ctx's deadline. It returns the event.
func waitState(t *testing.T, ctx context.Context, c *Call, want State) Event {
	t.Helper()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("events closed before %v", want)
			}
			if ev.State == want {
				return ev
			}
			if ev.State == StateEnded {
				t.Fatalf("call ended waiting for %v: %v", want, ev)
			}
		case <-ctx.Done():
			t.Fatalf("no %v before the deadline (state %v)", want, c.State())
		}
	}
}

// hangup ends c and checks that it ended.
func hangup(t *testing.T, c *Call) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Hangup(ctx); err != nil {
		t.Fatalf("hangup: %v", err)
	}
}

// waitGoroutines fails if the goroutine count does not fall back to base within timeout.
func waitGoroutines(t *testing.T, base int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("goroutine leak: %d > %d\n%s", runtime.NumGoroutine(), base, buf[:n])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rms is the root mean square of x.
func rms(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(max(1, len(x))))
}

// waitAudio waits until both calls have decoded at least frames frames from the other.
func waitAudio(t testing.TB, a, b *Call, frames uint64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		sa, sb := a.Stats(), b.Stats()
		if sa.Receive.FramesDecoded >= frames && sb.Receive.FramesDecoded >= frames {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("audio did not flow: alice decoded %d frames, bob %d", sa.Receive.FramesDecoded, sb.Receive.FramesDecoded)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
