package server

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling"
)

func TestRegistrationRace(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, Config{})
	for round := range 10 {
		name := "user" + string(rune('a'+round))
		ids := []*e2ee.IdentityKey{newIdentity(t), newIdentity(t)}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		clients := make([]*signaling.Client, 2)
		start := make(chan struct{})
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				clients[i], errs[i] = signaling.Dial(ctx, signaling.ClientConfig{URL: ts.url, User: name, Identity: ids[i]})
			}()
		}
		close(start)
		wg.Wait()
		wins := 0
		for i := range 2 {
			if errs[i] == nil {
				wins++
				_ = clients[i].Close()
			} else if !errors.Is(errs[i], signaling.ErrAuth) {
				t.Fatalf("round %d: unexpected error %v", round, errs[i])
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d winners", round, wins)
		}
		winner := ids[0]
		loser := ids[1]
		if errs[0] != nil {
			winner, loser = loser, winner
		}
		// The loser can never log in under that name; the winner always can.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ts.url, User: name, Identity: loser}); !errors.Is(err, signaling.ErrAuth) {
			t.Fatalf("loser logged in: %v", err)
		}
		c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ts.url, User: name, Identity: winner})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		_ = c.Close()
	}
}

// rawLogin opens a WebSocket and logs in by hand, returning the connection after the welcome.
func rawLogin(t *testing.T, url, user string, id *e2ee.IdentityKey, sign func(server string, nonce []byte) []byte) (*websocket.Conn, *signaling.Frame) {
	t.Helper()
	return rawLoginOpts(t, url, user, id, sign, nil)
}

func rawLoginOpts(t *testing.T, url, user string, id *e2ee.IdentityKey, sign func(server string, nonce []byte) []byte, opts *websocket.DialOptions) (*websocket.Conn, *signaling.Frame) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	ch := readRaw(t, ws)
	lf := &signaling.Frame{V: signaling.Version, Type: signaling.TypeLogin, User: user, Device: "raw", Key: id.Public()}
	if sign == nil {
		lf.Sig = id.Sign(signaling.LoginMessage(ch.Server, ch.Nonce, user, "raw"))
	} else {
		lf.Sig = sign(ch.Server, ch.Nonce)
	}
	writeRaw(t, ws, lf)
	return ws, readRaw(t, ws)
}

func readRaw(t *testing.T, ws *websocket.Conn) *signaling.Frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := ws.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	f, err := signaling.Decode(b)
	if err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return f
}

func writeRaw(t *testing.T, ws *websocket.Conn, f *signaling.Frame) {
	t.Helper()
	b, err := signaling.Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	writeBytes(t, ws, b)
}

func writeBytes(t *testing.T, ws *websocket.Conn, b []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
}

func TestLoginNeedsChallengeSignature(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, Config{})
	id := newIdentity(t)
	dial(t, ts.url, "alice", id, "")
	// A signature over another server's challenge (a replayed login) is refused.
	_, f := rawLogin(t, ts.url, "alice", id, func(_ string, nonce []byte) []byte {
		return id.Sign(signaling.LoginMessage("other-server", nonce, "alice", "raw"))
	})
	if f.Type != signaling.TypeError || f.Code != signaling.CodeAuth {
		t.Fatalf("got %+v", f)
	}
	// Mallory signs with her own key but claims alice's name.
	_, f = rawLogin(t, ts.url, "alice", newIdentity(t), nil)
	if f.Type != signaling.TypeError || f.Code != signaling.CodeAuth {
		t.Fatalf("got %+v", f)
	}
}

func TestStrictDecoding(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, Config{})
	ws, f := rawLogin(t, ts.url, "alice", newIdentity(t), nil)
	if f.Type != signaling.TypeWelcome {
		t.Fatalf("got %+v", f)
	}
	bad := []struct {
		in   string
		code string
	}{
		{`{"v":1,"type":"invite","seq":1,"call":"00112233445566778899aabbccddeeff","user":"bob","data":"AQ==","extra":1}`, signaling.CodeBadRequest},
		{`{"v":1,"type":"teleport","seq":1}`, signaling.CodeBadRequest},
		{`{"v":1,"type":"invite","seq":1,"user":"bob","data":"AQ=="}`, signaling.CodeBadRequest},
		{`{"v":2,"type":"ack"}`, signaling.CodeVersion},
		{`not json`, signaling.CodeBadRequest},
		{`{"v":1,"type":"relay","seq":1,"call":"00112233445566778899aabbccddeeff","data":"` + strings.Repeat("A", signaling.MaxFrameSize) + `"}`, signaling.CodeTooLarge},
	}
	for _, b := range bad {
		writeBytes(t, ws, []byte(b.in))
		f := readRaw(t, ws)
		if f.Type != signaling.TypeError || f.Code != b.code {
			t.Fatalf("%.60s: got %s %s, want error %s", b.in, f.Type, f.Code, b.code)
		}
	}
	// The connection is still usable.
	writeRaw(t, ws, &signaling.Frame{V: 1, Type: signaling.TypeInvite, Seq: 1, Call: newCallID(t), User: "nobody", Data: []byte{1}})
	if f := readRaw(t, ws); f.Type != signaling.TypeUnavailable {
		t.Fatalf("got %s", f.Type)
	}
	// Past MaxBadFrames the connection is closed as abusive.
	for range 10 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := ws.Write(ctx, websocket.MessageText, []byte("junk"))
		cancel()
		if err != nil {
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, _, err := ws.Read(ctx)
		if err != nil {
			if s := websocket.CloseStatus(err); s != websocket.StatusPolicyViolation {
				t.Fatalf("closed with %v (%v)", s, err)
			}
			break
		}
	}
}

func TestResumeWithoutLoss(t *testing.T) {
	checkGoroutines(t)
	clk := newFakeClock()
	ts := startServer(t, Config{Clock: clk, ResumeGrace: 30 * time.Second})
	a := dial(t, ts.url, "alice", newIdentity(t), "")
	gate := make(chan struct{})
	var dials sync.Mutex
	n := 0
	bID := newIdentity(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ts.url, User: "bob", Identity: bID, Device: "phone",
		Dial: func(ctx context.Context, url string) (*websocket.Conn, error) {
			dials.Lock()
			n++
			first := n == 1
			dials.Unlock()
			if !first {
				select {
				case <-gate:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			ws, _, err := websocket.Dial(ctx, url, nil)
			return ws, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	// Establish a call, then cut bob off.
	call := newCallID(t)
	_ = a.Invite(call, "bob", []byte{1})
	expect(t, a, signaling.TypeRinging)
	expect(t, b, signaling.TypeIncoming)
	_ = b.Accept(call, []byte{2})
	expect(t, b, signaling.TypeConnected)
	expect(t, a, signaling.TypeAccepted)
	b.Reconnect()
	waitMetric(t, ts.Server, func(m *metrics) bool { return m.conns.Load() == 1 })
	// Frames for bob while he is away are queued; bob's own frames too.
	for i := range 20 {
		_ = a.Relay(call, []byte{byte(i)})
	}
	_ = b.Relay(call, []byte("from bob while offline"))
	clk.Advance(29 * time.Second) // within grace
	close(gate)
	for i := range 20 {
		f := expect(t, b, signaling.TypeRelay)
		if f.Data[0] != byte(i) {
			t.Fatalf("relay %d carried %d", i, f.Data[0])
		}
	}
	if f := expect(t, a, signaling.TypeRelay); string(f.Data) != "from bob while offline" {
		t.Fatalf("data %q", f.Data)
	}
	if got := ts.m.resumed.Load(); got != 1 {
		t.Fatalf("resumes = %d", got)
	}
}

func TestGraceExpiry(t *testing.T) {
	checkGoroutines(t)
	clk := newFakeClock()
	ts := startServer(t, Config{Clock: clk, ResumeGrace: 30 * time.Second})
	a := dial(t, ts.url, "alice", newIdentity(t), "")
	// Bob's connection dies and he never comes back (raw socket, no client to resume).
	ws, _ := rawLogin(t, ts.url, "bob", newIdentity(t), nil)
	_ = ws.CloseNow()
	waitMetric(t, ts.Server, func(m *metrics) bool { return m.conns.Load() == 1 })
	call := newCallID(t)
	_ = a.Invite(call, "bob", []byte{1})
	expect(t, a, signaling.TypeRinging) // still in grace: the invite is queued for him
	clk.Advance(30 * time.Second)
	expect(t, a, signaling.TypeTimeout) // ring timeout (30 s default) fired first
	call = newCallID(t)
	_ = a.Invite(call, "bob", []byte{1})
	expect(t, a, signaling.TypeUnavailable)
}

// waitMetric waits for a condition on the server's metrics (a connection count), which has no
// event to wait on.
func waitMetric(t *testing.T, s *Server, ok func(*metrics) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok(s.m) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

var _ = net.Listen

func TestSessionLostAfterGrace(t *testing.T) {
	checkGoroutines(t)
	clk := newFakeClock()
	ts := startServer(t, Config{Clock: clk, ResumeGrace: 10 * time.Second})
	a := dial(t, ts.url, "alice", newIdentity(t), "")
	gate := make(chan struct{})
	var n int
	var mu sync.Mutex
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ts.url, User: "bob", Identity: newIdentity(t), Device: "phone",
		Dial: func(ctx context.Context, url string) (*websocket.Conn, error) {
			mu.Lock()
			n++
			again := n > 1
			mu.Unlock()
			if again {
				select {
				case <-gate:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			ws, _, err := websocket.Dial(ctx, url, nil)
			return ws, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	call := newCallID(t)
	_ = a.Invite(call, "bob", []byte{1})
	expect(t, a, signaling.TypeRinging)
	expect(t, b, signaling.TypeIncoming)
	b.Reconnect()
	waitMetric(t, ts.Server, func(m *metrics) bool { return m.conns.Load() == 1 })
	clk.Advance(10 * time.Second) // grace over: the session and its queue are gone
	waitMetric(t, ts.Server, func(m *metrics) bool { return m.sessions.Load() == 1 })
	close(gate)
	if f := expect(t, b, signaling.TypeError); f.Code != "session_lost" {
		t.Fatalf("code %q", f.Code)
	}
	// The new session works.
	call = newCallID(t)
	_ = a.Invite(call, "bob", []byte{1})
	expect(t, a, signaling.TypeRinging)
	if f := expect(t, b, signaling.TypeIncoming); f.Call != call {
		t.Fatal("wrong call")
	}
}

// freezer is a loopback TCP proxy whose existing connections can be frozen: bytes stop
// flowing but nothing is closed, like a network that silently died.
type freezer struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	frozen []chan struct{} // one per proxied connection; closed = flowing
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newFreezer(t *testing.T, target string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &freezer{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *freezer) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		flow := make(chan struct{})
		close(flow)
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		idx := len(p.frozen)
		p.frozen = append(p.frozen, flow)
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			defer p.wg.Done()
			buf := make([]byte, 32<<10)
			for {
				n, err := src.Read(buf)
				if err != nil {
					_ = dst.Close()
					return
				}
				p.mu.Lock()
				gate := p.frozen[idx]
				p.mu.Unlock()
				<-gate
				if _, err := dst.Write(buf[:n]); err != nil {
					return
				}
			}
		}
		p.wg.Add(2)
		go pipe(s, c)
		go pipe(c, s)
	}
}

// freeze stalls every connection proxied so far.
func (p *freezer) freeze() {
	p.mu.Lock()
	for i := range p.frozen {
		p.frozen[i] = make(chan struct{})
	}
	p.mu.Unlock()
}

func (p *freezer) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for i, g := range p.frozen {
		select {
		case <-g:
		default:
			close(g)
		}
		p.frozen[i] = g
	}
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func TestPingDetectsDeadNetworkAndResumes(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, Config{})
	px := newFreezer(t, ts.addr)
	a := dial(t, ts.url, "alice", newIdentity(t), "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := signaling.Dial(ctx, signaling.ClientConfig{URL: "ws://" + px.ln.Addr().String() + PathWS, User: "bob",
		Identity: newIdentity(t), Device: "phone", PingInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	px.freeze() // bob's network dies silently: no FIN, no RST
	call := newCallID(t)
	_ = a.Invite(call, "bob", []byte{1})
	expect(t, a, signaling.TypeRinging) // bob's session still exists on the server
	// Bob's unanswered ping tears the frozen connection down, he resumes on a fresh one and
	// gets the queued invite.
	if f := expect(t, b, signaling.TypeIncoming); f.Call != call {
		t.Fatal("wrong call")
	}
	if got := ts.m.resumed.Load(); got < 1 { // more if a loaded machine delayed a pong
		t.Fatalf("resumes = %d", got)
	}
}
