package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling"
)

// TestInviteFloodKeepsSession is issue 15 item 4: 40 throwaway users each send 11 invites to
// an idle victim who does not acknowledge anything. Invites with 16 KiB of data are refused
// as larger than a key agreement Commit; agreement-sized ones ring the victim at most
// MaxRinging times and the rest are answered busy. The victim's session survives (it was
// ended as queue_full before) and is called normally once the flood's rings time out.
func TestInviteFloodKeepsSession(t *testing.T) {
	checkGoroutines(t)
	clk := newFakeClock()
	ts := startServer(t, Config{Clock: clk, Limits: Limits{RegistrationsPerIPPerHour: -1}})
	victim, welcome := rawLogin(t, ts.url, "victim", newIdentity(t), nil)
	if welcome.Type != signaling.TypeWelcome {
		t.Fatalf("victim: %s", welcome.Type)
	}
	big := make([]byte, signaling.MaxDataSize)
	commit := make([]byte, e2ee.CommitSize)
	tally := map[string]int{}
	for i := range 40 {
		a := dial(t, ts.url, fmt.Sprintf("flood%02d", i), newIdentity(t), "")
		for j := range 11 {
			data := commit
			if j%2 == 0 {
				data = big
			}
			_ = a.Invite(newCallID(t), "victim", data)
			f := next(t, a)
			tally[string(f.Type)+" "+f.Code]++
		}
		_ = a.Close()
	}
	t.Logf("answers to 440 invites: %v", tally)
	ringing := tally[string(signaling.TypeRinging)+" "]
	if ringing != ts.cfg.Limits.MaxRinging || tally[string(signaling.TypeError)+" "+signaling.CodeTooLarge] != 240 {
		t.Fatalf("answers %v: want %d ringing and 240 too_large", tally, ts.cfg.Limits.MaxRinging)
	}
	for range ringing {
		if f := readRaw(t, victim); f.Type != signaling.TypeIncoming {
			t.Fatalf("victim got %s", f.Type)
		}
	}
	if n := testutil.ToFloat64(ts.m.rejects.WithLabelValues("queue_full")); n != 0 {
		t.Fatalf("queue_full = %v", n)
	}
	// The flood's rings time out (their callers left); a friend then gets through.
	clk.Advance(ts.cfg.RingTimeout)
	for range ringing {
		if f := readRaw(t, victim); f.Type != signaling.TypeCancelled {
			t.Fatalf("victim got %s, want cancelled", f.Type)
		}
	}
	clk.Advance(10 * time.Second) // refills the victim's inbound invite budget
	friend := dial(t, ts.url, "friend", newIdentity(t), "")
	_ = friend.Invite(newCallID(t), "victim", commit)
	expect(t, friend, signaling.TypeRinging)
	if f := readRaw(t, victim); f.Type != signaling.TypeIncoming || f.User != "friend" {
		t.Fatalf("victim got %s from %q", f.Type, f.User)
	}
}

// TestUnsolicitedFramesDroppedOnOverflow: with ringing and inbound rate limits out of the way,
// incoming calls to a client that acknowledges nothing stop at half its unacknowledged queue
// and are answered busy; the session is not ended, and once the client acknowledges, calls
// ring again.
func TestUnsolicitedFramesDroppedOnOverflow(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, Config{Limits: Limits{MaxUnacked: 8, MaxRinging: 100, CalleeInvitesPerSec: -1, InvitesPerSec: -1, UserInvitesPerSec: -1}})
	victim, _ := rawLogin(t, ts.url, "victim", newIdentity(t), nil)
	a := dial(t, ts.url, "alice", newIdentity(t), "")
	busy, rang := 0, 0
	for range 12 {
		_ = a.Invite(newCallID(t), "victim", []byte{1})
		switch f := next(t, a); f.Type {
		case signaling.TypeRinging:
			rang++
		case signaling.TypeBusy:
			busy++
		default:
			t.Fatalf("alice got %s %s", f.Type, f.Code)
		}
	}
	t.Logf("12 invites: %d rang, %d busy", rang, busy)
	if rang != 4 || busy != 8 {
		t.Fatalf("%d rang, %d busy; want 4 and 8", rang, busy)
	}
	var last uint64
	for range rang {
		last = readRaw(t, victim).Seq
	}
	writeRaw(t, victim, &signaling.Frame{V: signaling.Version, Type: signaling.TypeAck, Ack: last})
	waitMetric(t, ts.Server, func(*metrics) bool {
		_ = a.Invite(newCallID(t), "victim", []byte{1})
		return next(t, a).Type == signaling.TypeRinging
	})
	if n := testutil.ToFloat64(ts.m.rejects.WithLabelValues("queue_full")); n != 0 {
		t.Fatalf("queue_full = %v", n)
	}
}

// TestPerIPSessionAndNameLimits is issue 15 item 7: one address logging in new names and
// dropping the connections (each session then waits to be resumed). New names stop at the
// registration budget, sessions stop at MaxSessionsPerIP, a user's devices at
// MaxDevicesPerUser, and sessions that never did anything expire after NewSessionGrace.
func TestPerIPSessionAndNameLimits(t *testing.T) {
	checkGoroutines(t)
	clk := newFakeClock()
	ts := startServer(t, Config{Clock: clk, Limits: Limits{RegistrationsPerIPPerHour: 6, MaxSessionsPerIP: 4, MaxDevicesPerUser: 2}})
	ids := map[string]*e2ee.IdentityKey{}
	login := func(user, device string) error {
		if ids[user] == nil {
			ids[user] = newIdentity(t)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, ts.url, nil)
		if err != nil {
			return err
		}
		defer ws.CloseNow() // dropped, not closed: the session waits for a resume
		_, b, err := ws.Read(ctx)
		if err != nil {
			return err
		}
		ch, _ := signaling.Decode(b)
		lf := &signaling.Frame{V: signaling.Version, Type: signaling.TypeLogin, User: user, Device: device, Key: ids[user].Public(),
			Sig: ids[user].Sign(signaling.LoginMessage(ch.Server, ch.Nonce, user, device))}
		eb, _ := signaling.Encode(lf)
		if err := ws.Write(ctx, websocket.MessageText, eb); err != nil {
			return err
		}
		_, b, err = ws.Read(ctx)
		if err != nil {
			return err
		}
		f, err := signaling.Decode(b)
		if err != nil {
			return err
		}
		if f.Type != signaling.TypeWelcome {
			return errors.New(f.Reason)
		}
		return nil
	}
	var got []string
	for i := range 6 {
		err := login(fmt.Sprintf("n%d", i), "d")
		got = append(got, fmt.Sprint(err))
		waitMetric(t, ts.Server, func(m *metrics) bool { return m.conns.Load() == 0 })
	}
	t.Logf("6 new names, connections dropped: %q", got)
	if got[3] != "<nil>" || !strings.Contains(got[4], "too many sessions") {
		t.Fatalf("sessions per IP: %q", got)
	}
	// Sessions that never sent anything expire after NewSessionGrace, not ResumeGrace.
	clk.Advance(5 * time.Second)
	waitMetric(t, ts.Server, func(m *metrics) bool { return m.sessions.Load() == 0 })
	got = got[:0]
	for i := range 3 {
		err := login(fmt.Sprintf("m%d", i), "d")
		got = append(got, fmt.Sprint(err))
		waitMetric(t, ts.Server, func(m *metrics) bool { return m.conns.Load() == 0 })
	}
	t.Logf("3 more new names: %q", got)
	if got[1] != "<nil>" || !strings.Contains(got[2], "too many new names") {
		t.Fatalf("registrations per IP: %q", got)
	}
	// Known names still log in; a third device of one user is refused.
	clk.Advance(5 * time.Second)
	waitMetric(t, ts.Server, func(m *metrics) bool { return m.sessions.Load() == 0 })
	if err := login("n0", "a"); err != nil {
		t.Fatal(err)
	}
	if err := login("n0", "b"); err != nil {
		t.Fatal(err)
	}
	if err := login("n0", "c"); err == nil || !strings.Contains(err.Error(), "too many devices") {
		t.Fatalf("third device: %v", err)
	}
	t.Logf("third device of one user: %v", login("n0", "c"))
}

func TestIPKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":            "192.0.2.7",
		"::ffff:192.0.2.7":     "192.0.2.7",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":      "2001:db8:1:3::/64",
		"not an address":       "not an address",
	} {
		if got := ipKey(in); got != want {
			t.Errorf("ipKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUnusedNameExpires: a name registered and never used again is free after UnusedNameTTL;
// a name its owner came back to is not.
func TestUnusedNameExpires(t *testing.T) {
	checkGoroutines(t)
	clk := newFakeClock()
	ts := startServer(t, Config{Clock: clk, UnusedNameTTL: time.Hour})
	a1, a2, b := newIdentity(t), newIdentity(t), newIdentity(t)
	_ = dial(t, ts.url, "squat", a1, "").Close()
	_ = dial(t, ts.url, "owner", b, "").Close()
	clk.Advance(time.Minute)
	_ = dial(t, ts.url, "owner", b, "").Close() // used again
	clk.Advance(time.Hour)
	_ = dial(t, ts.url, "squat", a2, "").Close() // the unused name went free
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ts.url, User: "owner", Identity: a2})
	if !errors.Is(err, signaling.ErrAuth) {
		t.Fatalf("taking a used name: %v", err)
	}
	_, err = signaling.Dial(ctx, signaling.ClientConfig{URL: ts.url, User: "squat", Identity: a1})
	if !errors.Is(err, signaling.ErrAuth) {
		t.Fatalf("the old key of an expired, re-registered name: %v", err)
	}
}

// TestReadIdleTimeout: a connection that goes silent (no frames, no pings) is closed; a
// client that pings stays.
func TestReadIdleTimeout(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, Config{ReadIdleTimeout: time.Second})
	ws, _ := rawLogin(t, ts.url, "mute", newIdentity(t), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	for {
		if _, _, err := ws.Read(ctx); err != nil {
			t.Logf("silent connection closed after %v: %v", time.Since(start).Round(time.Millisecond), err)
			break
		}
	}
	if n := testutil.ToFloat64(ts.m.rejects.WithLabelValues("read_idle")); n != 1 {
		t.Fatalf("read_idle = %v", n)
	}
	c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ts.url, User: "chatty", Identity: newIdentity(t), PingInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(3 * time.Second) // let the idle timer run over three times while pings arrive
	if n := testutil.ToFloat64(ts.m.rejects.WithLabelValues("read_idle")); n != 1 {
		t.Fatalf("a pinging client was closed as idle (read_idle = %v)", n)
	}
}

// TestPrivateMetrics: with PrivateMetrics, /metrics (which a TCP TURN relay once fetched) is
// not served on the public listener but is on the admin one.
func TestPrivateMetrics(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, Config{PrivateMetrics: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ts.ServeAdmin(ln) }()
	get := func(addr string) int {
		resp, err := http.Get("http://" + addr + PathMetrics)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	pub, adm := get(ts.addr), get(ln.Addr().String())
	t.Logf("GET /metrics: public listener %d, admin listener %d", pub, adm)
	if pub != http.StatusNotFound || adm != http.StatusOK {
		t.Fatalf("public %d, admin %d", pub, adm)
	}
	http.DefaultClient.CloseIdleConnections()
	_ = ts.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestFileRegistryKeepsNames: bindings survive closing and reopening the database; another
// key is refused the name afterwards. (cmd/parley's TestServeKeepsNamesAcrossRestart does the
// same through a restarted 'parley serve' process.)
func TestFileRegistryKeepsNames(t *testing.T) {
	dir := t.TempDir()
	r, err := OpenFileRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	k1, k2 := newIdentity(t).Public(), newIdentity(t).Public()
	now := time.Unix(1_800_000_000, 0)
	ctx := context.Background()
	if b, created, err := r.Bind(ctx, Claim{User: "alice", Key: k1, Now: now}); err != nil || !created || !b.Equal(k1) {
		t.Fatalf("bind: %v %v", created, err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r, err = OpenFileRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, created, err := r.Bind(ctx, Claim{User: "alice", Key: k2, Now: now.Add(time.Hour)})
	if err != nil || created || !b.Equal(k1) {
		t.Fatalf("after reopening, alice is bound to %s (created %v, %v), want %s", b.Fingerprint(), created, err, k1.Fingerprint())
	}
	// A second process cannot open the same file.
	if _, err := OpenFileRegistry(dir); err == nil || !strings.Contains(err.Error(), "held by another process") {
		t.Fatalf("database opened twice: %v", err)
	}
}

func TestParseBinding(t *testing.T) {
	k := newIdentity(t).Public()
	in := Binding{Key: k, Created: time.Unix(1_800_000_000, 0), Used: true}
	v, _ := in.MarshalBinary()
	out, err := ParseBinding(v)
	if err != nil || out != in {
		t.Fatalf("%v %v", out, err)
	}
	if legacy, err := ParseBinding(k[:]); err != nil || !legacy.Used || legacy.Key != k {
		t.Fatalf("legacy: %v %v", legacy, err)
	}
	for _, bad := range [][]byte{nil, v[:40], append(v[:len(v)-1:len(v)-1], 2)} {
		if _, err := ParseBinding(bad); !errors.Is(err, ErrRegistry) {
			t.Errorf("ParseBinding(%x): %v", bad, err)
		}
	}
}

func FuzzParseBinding(f *testing.F) {
	f.Add(make([]byte, bindingSize))
	f.Add(make([]byte, e2ee.PublicIdentitySize))
	f.Fuzz(func(t *testing.T, v []byte) {
		b, err := ParseBinding(v)
		if err != nil {
			return
		}
		out, _ := b.MarshalBinary()
		if len(v) == bindingSize && string(out) != string(v) {
			t.Fatalf("round trip %x → %x", v, out)
		}
	})
}

// slowAnswerBroker delays the "answered" message between nodes, widening the window in which
// a caller that heard "accepted" relays before the callee's leg is active.
type slowAnswerBroker struct{ MemoryBroker }

func (b *slowAnswerBroker) Publish(ctx context.Context, subject string, data []byte) error {
	if strings.Contains(string(data), `"k":"answered"`) {
		time.Sleep(300 * time.Millisecond) // the injected delay, not an assertion
	}
	return b.MemoryBroker.Publish(ctx, subject, data)
}

// TestRevealNotLostAfterAccept: the caller's first relay right after "accepted" (the e2ee
// Reveal) reaches the callee even when the callee's node learns of the answer late. It was
// dropped as relay_no_call, and the callee then failed the call on the next envelope (seen
// in TestFaultServerRestart under load).
func TestRevealNotLostAfterAccept(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t, Config{Broker: &slowAnswerBroker{}})
	a := dial(t, ts.url, "alice", newIdentity(t), "")
	b := dial(t, ts.url, "bob", newIdentity(t), "")
	call := newCallID(t)
	_ = a.Invite(call, "bob", []byte{1})
	expect(t, a, signaling.TypeRinging)
	expect(t, b, signaling.TypeIncoming)
	_ = b.Accept(call, []byte{2})
	expect(t, a, signaling.TypeAccepted)
	_ = a.Relay(call, []byte("reveal"))
	expect(t, b, signaling.TypeConnected)
	if f := expect(t, b, signaling.TypeRelay); string(f.Data) != "reveal" {
		t.Fatalf("bob got %q", f.Data)
	}
	if n := testutil.ToFloat64(ts.m.rejects.WithLabelValues("relay_no_call")); n != 0 {
		t.Fatalf("relay_no_call = %v", n)
	}
}
