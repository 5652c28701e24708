package signaling

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling/internal/outbox"
	"github.com/parley-voice/parley/signaling/internal/wsread"
)

// ClientConfig configures Dial. Fields at their zero value take the default given.
type ClientConfig struct {
	// URL is the server's WebSocket endpoint, e.g. "ws://127.0.0.1:7000/v1/ws". Required.
	URL string
	// Fallbacks are further endpoints of the same deployment (nodes sharing a broker). After
	// a drop or a server's "reconnect" the client tries URL and the fallbacks in turn, so a
	// node shutting down sends its clients elsewhere. A session lives on one node: landing
	// on another starts a new one (Events reports "session_lost").
	Fallbacks []string
	// User is the account name (see ValidName). Required.
	User string
	// Identity signs the login. Required; the client does not wipe it.
	Identity *e2ee.IdentityKey
	// Device names this device of the user; devices of one user ring together. Zero picks
	// a random name. Resuming a session requires the same device name.
	Device string
	// Logger receives connection events; nil discards. Secrets are never logged.
	Logger *slog.Logger
	// Dial opens the WebSocket; nil uses websocket.Dial. Tests inject failures here.
	Dial func(ctx context.Context, url string) (*websocket.Conn, error)
	// ReconnectFor bounds how long the client keeps trying to resume after the connection
	// drops; zero means 30 s. After that Events is closed and Err returns the cause.
	ReconnectFor time.Duration
	// AckDelay is how long a received frame may wait for its acknowledgement to ride on an
	// outgoing frame before a bare ack is sent; zero means 20 ms.
	AckDelay time.Duration
	// PingInterval is how often the client pings the server; a ping unanswered within the
	// interval counts as a dead connection (which is then resumed). It keeps NAT mappings open
	// and notices silently dropped networks. Zero means 25 s; negative disables pings.
	PingInterval time.Duration
	// OnConnectionChange, if set, is told when the connection drops and the client starts
	// resuming (connected false, with the cause) and when it is logged in again (true, nil);
	// not for the first login. It runs on the client's goroutine and must return quickly: an
	// application shows "reconnecting…" with it.
	OnConnectionChange func(connected bool, err error)
	// EventBuffer is the capacity of the Events channel; zero means 256. A full channel
	// stalls reading, and a server disconnects a client that stops reading for long.
	EventBuffer int
}

// Client is one logged-in device. Create with Dial. Methods are safe for concurrent use.
// Frames sent while the connection is down are queued and delivered after the session
// resumes; they are lost only if it cannot be resumed (ErrSessionLost).
type Client struct {
	cfg     ClientConfig
	log     *slog.Logger
	events  chan *Frame
	ctx     context.Context // cancelled by Close
	cancel  context.CancelFunc
	done    chan struct{} // closed when the run goroutine exits
	closing atomic.Bool   // set when Close starts: a drop from then on is ours, not resumed
	sent    atomic.Uint64 // WebSocket messages written
	rcvd    atomic.Uint64 // WebSocket messages read

	// wmu serialises numbering and writing, so frames leave in Seq order.
	wmu        sync.Mutex
	ws         *websocket.Conn
	out        outbox.Outbox[*Frame]
	recv       uint64 // highest Seq received from the server
	ackSent    uint64 // highest Ack sent
	ackTimer   *time.Timer
	turn       TURNInfo
	turnNew    chan struct{} // closed and replaced when a TURN answer arrives
	urlIdx     int           // which of URL, Fallbacks... to dial next; owned by the run goroutine
	hadSession bool          // a login succeeded before: a non-resumed login means the session was lost
	err        error         // why the client stopped, once done
}

// Dial connects, logs in and starts the client. It returns ErrAuth when the server rejects
// the login (the name belongs to another key).
func Dial(ctx context.Context, cfg ClientConfig) (*Client, error) {
	if cfg.URL == "" || !ValidName(cfg.User) || cfg.Identity == nil {
		return nil, fmt.Errorf("%w: URL, User and Identity are required", ErrConfig)
	}
	if cfg.Device == "" {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		cfg.Device = "d-" + hex.EncodeToString(b[:])
	}
	if !ValidName(cfg.Device) {
		return nil, fmt.Errorf("%w: device name", ErrConfig)
	}
	if cfg.ReconnectFor == 0 {
		cfg.ReconnectFor = 30 * time.Second
	}
	if cfg.AckDelay == 0 {
		cfg.AckDelay = 20 * time.Millisecond
	}
	if cfg.EventBuffer == 0 {
		cfg.EventBuffer = 256
	}
	if cfg.PingInterval == 0 {
		cfg.PingInterval = 25 * time.Second
	}
	if cfg.Dial == nil {
		cfg.Dial = func(ctx context.Context, url string) (*websocket.Conn, error) {
			ws, _, err := websocket.Dial(ctx, url, nil)
			return ws, err
		}
	}
	c := &Client{cfg: cfg, log: cfg.Logger, events: make(chan *Frame, cfg.EventBuffer), done: make(chan struct{}), turnNew: make(chan struct{})}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	ws, err := c.login(ctx)
	if err != nil {
		c.cancel()
		return nil, err
	}
	go c.run(ws)
	return c, nil
}

// Events delivers every frame from the server except challenge, welcome and acks, in order.
// It is closed when the client stops (Close, or a session that cannot be resumed).
func (c *Client) Events() <-chan *Frame { return c.events }

// Device returns this device's name.
func (c *Client) Device() string { return c.cfg.Device }

// User returns the account name.
func (c *Client) User() string { return c.cfg.User }

// TURN returns the STUN/TURN servers and credential from the latest login.
func (c *Client) TURN() TURNInfo {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.turn
}

// Stats counts the WebSocket messages this client wrote and read (every frame, including
// login, acks and resends), for load tests that check nothing was lost.
func (c *Client) Stats() (sent, received uint64) { return c.sent.Load(), c.rcvd.Load() }

// RefreshTURN asks the server for a fresh TURN credential and returns it (TURN then returns
// it too). Use it before the current one expires, e.g. for an ICE restart late in a call.
func (c *Client) RefreshTURN(ctx context.Context) (TURNInfo, error) {
	c.wmu.Lock()
	wait := c.turnNew
	c.wmu.Unlock()
	if err := c.Send(&Frame{Type: TypeTURN}); err != nil {
		return TURNInfo{}, err
	}
	select {
	case <-wait:
		return c.TURN(), nil
	case <-ctx.Done():
		return TURNInfo{}, ctx.Err()
	case <-c.done:
		return TURNInfo{}, ErrClosed
	}
}

// Err returns why the client stopped, after Events is closed; nil before and after Close.
func (c *Client) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Invite rings user to with call ID call; data is the caller's opening message (an e2ee
// Commit). The answer arrives on Events: ringing, then accepted, declined, busy, timeout or
// unavailable (or an error with Call set).
func (c *Client) Invite(call e2ee.CallID, to string, data []byte) error {
	return c.Send(&Frame{Type: TypeInvite, Call: call, User: to, Data: data})
}

// Accept answers an incoming call with data (an e2ee Response).
func (c *Client) Accept(call e2ee.CallID, data []byte) error {
	return c.Send(&Frame{Type: TypeAccept, Call: call, Data: data})
}

// Decline refuses an incoming call on all of the user's devices.
func (c *Client) Decline(call e2ee.CallID) error {
	return c.Send(&Frame{Type: TypeDecline, Call: call})
}

// Cancel withdraws an invite that has not been answered.
func (c *Client) Cancel(call e2ee.CallID) error {
	return c.Send(&Frame{Type: TypeCancel, Call: call})
}

// Hangup ends an answered call.
func (c *Client) Hangup(call e2ee.CallID) error {
	return c.Send(&Frame{Type: TypeHangup, Call: call})
}

// Relay sends opaque data (an e2ee message or sealed envelope) to the peer of an answered
// call. Relayed frames arrive in order, exactly once.
func (c *Client) Relay(call e2ee.CallID, data []byte) error {
	return c.Send(&Frame{Type: TypeRelay, Call: call, Data: data})
}

// Send numbers and sends f (V is filled in). A reliable frame is queued until the server
// acknowledges it, so it is resent after a dropped connection; Send returns nil for it even
// while disconnected. It returns ErrQueueFull when 1024 frames are unacknowledged.
func (c *Client) Send(f *Frame) error {
	f.V = Version
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.ctx.Err() != nil {
		return ErrClosed
	}
	if f.Type.Reliable() {
		if c.out.Len() >= 1024 {
			return ErrQueueFull
		}
		f.Seq = math.MaxUint64 // placeholder: validate before numbering
		if err := f.Validate(); err != nil {
			f.Seq = 0
			return err
		}
		f.Seq = c.out.Add(f, len(f.Data))
	}
	return c.writeLocked(f)
}

// writeLocked encodes f with the current ack and writes it to the live connection, if any.
// A write error is not returned for reliable frames: they are resent after resuming.
func (c *Client) writeLocked(f *Frame) error {
	f.Ack = c.recv
	b, err := Encode(f)
	if err != nil {
		return err
	}
	if c.ws == nil {
		return nil
	}
	if err := c.ws.Write(c.ctx, websocket.MessageText, b); err != nil {
		c.log.Debug("signaling: write failed", "err", err)
		return nil
	}
	c.sent.Add(1)
	c.ackSent = max(c.ackSent, f.Ack)
	return nil
}

// Reconnect drops the current connection at once and resumes the session on a new one, as
// after a network change. Queued frames are resent. It returns immediately.
func (c *Client) Reconnect() {
	c.wmu.Lock()
	ws := c.ws
	c.wmu.Unlock()
	if ws != nil {
		_ = ws.CloseNow()
	}
}

// Close ends the session: the server treats the device as gone at once. Close waits for the
// client's goroutines and closes Events. It is idempotent.
func (c *Client) Close() error {
	c.closing.Store(true)
	c.wmu.Lock()
	ws := c.ws
	c.wmu.Unlock()
	if ws != nil {
		_ = ws.Close(websocket.StatusNormalClosure, "bye")
	}
	c.cancel()
	// A resume may have installed a new connection meanwhile; login refuses to install one
	// once cancelled, so this catches every connection the read loop could block on.
	c.wmu.Lock()
	ws = c.ws
	c.wmu.Unlock()
	if ws != nil {
		_ = ws.CloseNow()
	}
	<-c.done
	return nil
}

// login dials and performs challenge → login → welcome, resuming when the client has a
// session. It installs the connection and resends unacknowledged frames.
func (c *Client) login(ctx context.Context) (*websocket.Conn, error) {
	urls := append([]string{c.cfg.URL}, c.cfg.Fallbacks...)
	ws, err := c.cfg.Dial(ctx, urls[c.urlIdx%len(urls)])
	if err != nil {
		return nil, fmt.Errorf("signaling: dial: %w", err)
	}
	ws.SetReadLimit(2 * MaxFrameSize)
	fail := func(err error) (*websocket.Conn, error) {
		_ = ws.CloseNow()
		return nil, err
	}
	ch, err := readFrame(ctx, ws)
	if err != nil {
		return fail(err)
	}
	c.rcvd.Add(1)
	if ch.Type != TypeChallenge {
		return fail(fmt.Errorf("%w: expected challenge, got %s %s", ErrRejected, ch.Type, ch.Code))
	}
	c.wmu.Lock()
	recv := c.recv
	c.wmu.Unlock()
	lf := &Frame{V: Version, Type: TypeLogin, User: c.cfg.User, Device: c.cfg.Device, Key: c.cfg.Identity.Public(), Ack: recv}
	lf.Sig = c.cfg.Identity.Sign(LoginMessage(ch.Server, ch.Nonce, lf.User, lf.Device))
	b, err := Encode(lf)
	if err != nil {
		return fail(err)
	}
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		return fail(fmt.Errorf("signaling: login: %w", err))
	}
	c.sent.Add(1)
	wf, err := readFrame(ctx, ws)
	if err != nil {
		return fail(err)
	}
	c.rcvd.Add(1)
	switch {
	case wf.Type == TypeError && wf.Code == CodeAuth:
		return fail(fmt.Errorf("%w: %s", ErrAuth, wf.Reason))
	case wf.Type != TypeWelcome:
		return fail(fmt.Errorf("%w: %s %s", ErrRejected, wf.Type, wf.Code))
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.ctx.Err() != nil {
		_ = ws.CloseNow()
		return nil, ErrClosed
	}
	if !wf.Resumed && c.hadSession {
		// The server forgot us: what it had queued is gone, and our sequence numbers restart.
		c.out.Reset()
		c.recv, c.ackSent = 0, 0
		c.emit(&Frame{V: Version, Type: TypeError, Code: "session_lost", Reason: ErrSessionLost.Error()})
	}
	c.out.Ack(wf.Ack)
	if wf.TURN != nil {
		c.turn = *wf.TURN
	}
	c.ws = ws
	c.hadSession = true
	var resend []*Frame
	c.out.Pending(func(_ uint64, f *Frame) { resend = append(resend, f) })
	for _, f := range resend {
		_ = c.writeLocked(f)
	}
	c.log.Debug("signaling: logged in", "user", c.cfg.User, "device", c.cfg.Device, "resumed", wf.Resumed, "resent", len(resend))
	return ws, nil
}

// emit hands f to the application. It must not block forever while holding wmu, so it is
// only called for rare synthetic frames from there; the reader calls deliver instead.
func (c *Client) emit(f *Frame) {
	select {
	case c.events <- f:
	default:
		c.log.Warn("signaling: event dropped, Events not drained", "type", f.Type)
	}
}

func readFrame(ctx context.Context, ws *websocket.Conn) (*Frame, error) {
	_, b, err := ws.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("signaling: read: %w", err)
	}
	return Decode(b)
}

// run reads frames until Close or an unrecoverable drop, reconnecting in between.
func (c *Client) run(ws *websocket.Conn) {
	defer close(c.done)
	defer close(c.events)
	for {
		stopPings := c.startPings(ws)
		err := c.readLoop(ws)
		stopPings()
		c.wmu.Lock()
		c.ws = nil
		if c.ackTimer != nil {
			c.ackTimer.Stop()
			c.ackTimer = nil
		}
		c.wmu.Unlock()
		_ = ws.CloseNow()
		if c.ctx.Err() != nil || c.closing.Load() {
			return
		}
		c.log.Info("signaling: connection lost, resuming", "err", err)
		if c.cfg.OnConnectionChange != nil {
			c.cfg.OnConnectionChange(false, err)
		}
		ws = c.redial()
		if ws == nil {
			return
		}
		if c.cfg.OnConnectionChange != nil {
			c.cfg.OnConnectionChange(true, nil)
		}
	}
}

// redial retries login with backoff for ReconnectFor; nil means give up (c.err set).
func (c *Client) redial() *websocket.Conn {
	deadline := time.Now().Add(c.cfg.ReconnectFor)
	backoff := 10 * time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
		ws, err := c.login(ctx)
		cancel()
		if err == nil {
			return ws
		}
		if c.ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrAuth) || time.Now().After(deadline) {
			c.err = err
			return nil
		}
		c.urlIdx++ // next endpoint
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return nil
		}
		backoff = min(2*backoff, time.Second)
	}
}

func (c *Client) readLoop(ws *websocket.Conn) error {
	for {
		// No context: Close and Reconnect unblock the read by closing the connection, and a
		// cancellable context would cost a timer per message.
		_, bp, err := wsread.Read(context.Background(), ws)
		if err != nil {
			return err
		}
		c.rcvd.Add(1)
		f, err := Decode(*bp) // copies what it keeps
		wsread.Put(bp)
		if err != nil {
			c.log.Warn("signaling: bad frame from server", "err", err)
			continue
		}
		c.wmu.Lock()
		c.out.Ack(f.Ack)
		dup := false
		if f.Seq != 0 {
			if f.Seq <= c.recv {
				dup = true
			} else {
				c.recv = f.Seq
				c.scheduleAckLocked()
			}
		}
		c.wmu.Unlock()
		switch {
		case dup, f.Type == TypeAck:
			continue
		case f.Type == TypeTURN:
			c.wmu.Lock()
			if f.TURN != nil {
				c.turn = *f.TURN
			}
			close(c.turnNew)
			c.turnNew = make(chan struct{})
			c.wmu.Unlock()
			continue
		case f.Type == TypeReconnect:
			c.deliver(f)
			c.urlIdx++    // this node is going away: start with the next one
			return io.EOF // log in again
		}
		if !c.deliver(f) {
			return ErrClosed
		}
	}
}

// deliver blocks until the application takes f or the client closes.
func (c *Client) deliver(f *Frame) bool {
	select {
	case c.events <- f:
		return true
	case <-c.ctx.Done():
		return false
	}
}

func (c *Client) scheduleAckLocked() {
	if c.ackTimer != nil {
		return
	}
	c.ackTimer = time.AfterFunc(c.cfg.AckDelay, func() {
		c.wmu.Lock()
		defer c.wmu.Unlock()
		c.ackTimer = nil
		if c.recv > c.ackSent && c.ws != nil {
			_ = c.writeLocked(&Frame{V: Version, Type: TypeAck})
		}
	})
}

// startPings pings ws every PingInterval until the returned stop is called, closing ws when a
// ping goes unanswered (the read loop then ends and the session is resumed). Between pings no
// goroutine runs.
func (c *Client) startPings(ws *websocket.Conn) (stop func()) {
	if c.cfg.PingInterval < 0 {
		return func() {}
	}
	var mu sync.Mutex
	stopped := false
	var t *time.Timer
	var tick func()
	tick = func() {
		ctx, cancel := context.WithTimeout(c.ctx, c.cfg.PingInterval)
		err := ws.Ping(ctx)
		cancel()
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		if err != nil {
			c.log.Info("signaling: ping unanswered, reconnecting", "err", err)
			_ = ws.CloseNow()
			return
		}
		t.Reset(c.cfg.PingInterval)
	}
	mu.Lock()
	t = time.AfterFunc(c.cfg.PingInterval, tick)
	mu.Unlock()
	return func() {
		mu.Lock()
		stopped = true
		t.Stop()
		mu.Unlock()
	}
}
