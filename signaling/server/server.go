package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/parley-voice/parley/signaling"
)

// Paths served by Handler.
const (
	PathWS      = "/v1/ws"
	PathHealth  = "/healthz"
	PathMetrics = "/metrics"
)

// Server is one signaling node. Create with New, serve with Serve or mount Handler, stop with
// Shutdown or Close. Safe for concurrent use.
type Server struct {
	// Immutable after New.
	cfg    Config
	log    *slog.Logger
	clock  Clock
	broker Broker
	reg    Registry
	m      *metrics
	mux    *http.ServeMux
	admin  *http.ServeMux

	wg sync.WaitGroup // connection handlers and writers

	// mu guards the following.
	mu       sync.Mutex
	users    map[string]*userEntry    // users with a session on this node
	perIP    map[string]int           // connections per IP
	sessIP   map[string]int           // sessions per ipKey
	regs     map[string]*rate.Limiter // registrations per ipKey
	conns    map[*conn]struct{}
	draining bool
	closed   bool
	httpSrvs []*http.Server
}

// userEntry is one user's presence on this node.
type userEntry struct {
	name    string
	ready   chan struct{} // closed once sub/subErr are set
	sub     Subscription  // guarded by Server.mu after ready
	subErr  error
	devices map[string]*session // guarded by Server.mu
	invites *rate.Limiter
	msgs    *rate.Limiter
	inbound *rate.Limiter // invites to this user (CalleeInvitesPerSec)
}

// New checks cfg, fills defaults and returns a Server that has not started listening.
func New(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if cfg.ID == "" {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		cfg.ID = "node-" + hex.EncodeToString(b[:])
	}
	if len(cfg.ID) > 64 {
		return nil, fmt.Errorf("%w: ID longer than 64 bytes", ErrConfig)
	}
	if len(cfg.TURN.Secret) == 0 && len(cfg.TURN.URLs) != 0 {
		for _, u := range cfg.TURN.URLs {
			if len(u) >= 5 && u[:5] == "turn:" {
				return nil, fmt.Errorf("%w: TURN URLs need a secret", ErrConfig)
			}
		}
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger, clock: cfg.Clock, broker: cfg.Broker, reg: cfg.Registry,
		m: newMetrics(), users: make(map[string]*userEntry), perIP: make(map[string]int), sessIP: make(map[string]int), regs: make(map[string]*rate.Limiter), conns: make(map[*conn]struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.clock == nil {
		s.clock = SystemClock{}
	}
	if s.broker == nil {
		s.broker = &MemoryBroker{}
	}
	if s.reg == nil {
		s.reg = &MemoryRegistry{}
	}
	if s.cfg.UnusedNameTTL < 0 {
		s.cfg.UnusedNameTTL = 0
	}
	if w, ok := s.broker.(interface{ OnDown(func(error)) }); ok {
		w.OnDown(s.brokerDown)
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc(PathWS, s.serveWS)
	s.mux.HandleFunc(PathHealth, s.serveHealth)
	if !cfg.PrivateMetrics {
		s.mux.Handle(PathMetrics, s.m.handler())
	}
	s.admin = http.NewServeMux()
	s.admin.HandleFunc(PathHealth, s.serveHealth)
	s.admin.Handle(PathMetrics, s.m.handler())
	return s, nil
}

// ID returns the node ID.
func (s *Server) ID() string { return s.cfg.ID }

// Handler returns the HTTP handler serving PathWS, PathHealth and (unless
// Config.PrivateMetrics) PathMetrics.
func (s *Server) Handler() http.Handler { return s.mux }

// AdminHandler returns the HTTP handler for an operator-only listener: PathMetrics and
// PathHealth. Serve it with ServeAdmin, or mount it yourself.
func (s *Server) AdminHandler() http.Handler { return s.admin }

// ServeAdmin serves AdminHandler on ln until Shutdown or Close; it then returns nil.
func (s *Server) ServeAdmin(ln net.Listener) error {
	return s.serveHTTP(ln, s.admin)
}

// Serve serves HTTP on ln until Shutdown or Close; it then returns nil.
func (s *Server) Serve(ln net.Listener) error {
	return s.serveHTTP(ln, s.mux)
}

func (s *Server) serveHTTP(ln net.Listener, h http.Handler) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	s.mu.Lock()
	if s.closed || s.draining {
		s.mu.Unlock()
		_ = ln.Close()
		return ErrClosed
	}
	s.httpSrvs = append(s.httpSrvs, hs)
	s.mu.Unlock()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	down := s.draining || s.closed
	s.mu.Unlock()
	if down {
		http.Error(w, "draining", http.StatusServiceUnavailable)
		return
	}
	if h, ok := s.broker.(interface{ Healthy() bool }); ok && !h.Healthy() {
		http.Error(w, "broker unreachable", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

// Shutdown stops accepting connections, tells every client to reconnect (elsewhere), closes
// the connections and waits for their goroutines, or until ctx is done. Sessions are ended.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	srvs := s.httpSrvs
	s.mu.Unlock()
	for _, hs := range srvs {
		_ = hs.Close() // stops listening; hijacked WebSockets are ours to close
	}
	for _, c := range conns {
		c.reconnect()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		for _, c := range conns {
			c.kill()
		}
		<-done
	}
	s.expireAll()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return ctx.Err()
}

// Close is Shutdown without waiting for clients to take the reconnect frame.
func (s *Server) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Shutdown(ctx)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// allSessions is a snapshot of every session on this node, taken under s.mu.
func (s *Server) allSessions() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*session
	for _, ue := range s.users {
		for _, ss := range ue.devices {
			all = append(all, ss)
		}
	}
	return all
}

// expireAll ends every session (after Shutdown): calls are ended, subscriptions dropped.
func (s *Server) expireAll() {
	for _, ss := range s.allSessions() {
		ss.expire(false)
	}
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// serveWS accepts a WebSocket, runs the login and then the read loop of the connection.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	s.mu.Lock()
	switch {
	case s.draining || s.closed:
		s.mu.Unlock()
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	case s.perIP[ip] >= s.cfg.Limits.MaxConnsPerIP || len(s.conns) >= s.cfg.Limits.MaxConns:
		s.mu.Unlock()
		s.m.reject("conn_limit")
		http.Error(w, "too many connections", http.StatusTooManyRequests)
		return
	}
	s.perIP[ip]++
	s.wg.Add(1)
	s.mu.Unlock()
	seen := new(atomic.Int64)
	ws, err := websocket.Accept(smallBuffers{w}, r, &websocket.AcceptOptions{
		OnPingReceived: func(context.Context, []byte) bool { seen.Store(time.Now().UnixNano()); return true }})
	if err != nil {
		s.releaseIP(ip)
		s.wg.Done()
		return
	}
	ws.SetReadLimit(2 * signaling.MaxFrameSize)
	c := newConn(s, ws, ip, seen)
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.m.conns.Add(1)
	cleanup := func() {
		c.kill()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.releaseIP(ip)
		s.m.conns.Add(-1)
		s.wg.Done()
	}
	// Log in on the HTTP handler's goroutine (signature checks need a deep stack), then read
	// on a fresh goroutine and let the handler return: an idle connection then holds one
	// small stack and no HTTP request state.
	sess, err := s.login(context.Background(), c)
	if err != nil {
		s.log.Debug("signaling: login failed", "ip", ip, "err", err)
		cleanup()
		return
	}
	c.watchIdle()
	go func() {
		defer cleanup()
		c.readLoop(sess)
	}()
}

func (s *Server) releaseIP(ip string) {
	s.mu.Lock()
	if s.perIP[ip]--; s.perIP[ip] <= 0 {
		delete(s.perIP, ip)
	}
	s.mu.Unlock()
}

// login runs challenge → login → welcome on c and attaches c to a new or resumed session.
func (s *Server) login(ctx context.Context, c *conn) (*session, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.LoginTimeout)
	defer cancel()
	nonce := make([]byte, signaling.NonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	if err := c.writeNow(ctx, &signaling.Frame{Type: signaling.TypeChallenge, Server: s.cfg.ID, Nonce: nonce}); err != nil {
		return nil, err
	}
	_, b, err := c.ws.Read(ctx)
	if err != nil {
		return nil, err
	}
	s.m.framesIn.Add(1)
	f, err := signaling.Decode(b)
	switch {
	case err != nil:
		s.m.reject("bad_frame")
		_ = c.writeNow(ctx, errorFrame(err, nil))
		return nil, err
	case f.Type != signaling.TypeLogin:
		_ = c.writeNow(ctx, &signaling.Frame{Type: signaling.TypeError, Code: signaling.CodeAuth, Reason: "log in first"})
		return nil, signaling.ErrAuth
	case !signaling.VerifyLogin(f, s.cfg.ID, nonce):
		return nil, s.authFail(ctx, c, f.User, "bad signature")
	}
	now := s.clock.Now()
	ipk := ipKey(c.ip)
	if why := s.sessionRoom(ipk, f.User, f.Device); why != "" {
		return nil, s.refuseSession(ctx, c, f.User, why) // before a name is registered for it
	}
	bound, created, err := s.reg.Bind(ctx, Claim{User: f.User, Key: f.Key, Now: now, UnusedTTL: s.cfg.UnusedNameTTL,
		MayRegister: func() bool { return s.allowRegistration(ipk, now) }})
	if errors.Is(err, ErrRegisterLimit) {
		s.m.reject("register_limit")
		s.log.Info("signaling: registration refused", "user", f.User, "ip", c.ip, "why", err)
		_ = c.writeNow(ctx, &signaling.Frame{Type: signaling.TypeError, Code: signaling.CodeRateLimited, Reason: "too many new names from your address"})
		return nil, err
	}
	if err != nil {
		_ = c.writeNow(ctx, &signaling.Frame{Type: signaling.TypeError, Code: signaling.CodeRoute, Reason: "registry unavailable"})
		return nil, err
	}
	if !bound.Equal(f.Key) {
		return nil, s.authFail(ctx, c, f.User, "name bound to another key")
	}
	if created {
		s.m.registered.Add(1)
		s.log.Debug("signaling: registered", "user", f.User, "key", f.Key.Fingerprint())
	}
	return s.attach(c, f)
}

// sessionRoom says why a login of (user, device) from ipk would exceed a session limit, or ""
// when it fits (or resumes a session that exists).
func (s *Server) sessionRoom(ipk, user, device string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ue := s.users[user]
	if ue != nil && ue.devices[device] != nil {
		return ""
	}
	switch {
	case ue != nil && len(ue.devices) >= s.cfg.Limits.MaxDevicesPerUser:
		return "too many devices logged in"
	case s.sessIP[ipk] >= s.cfg.Limits.MaxSessionsPerIP:
		return "too many sessions from your address"
	}
	return ""
}

func (s *Server) refuseSession(ctx context.Context, c *conn, user, why string) error {
	s.m.reject("session_limit")
	s.log.Info("signaling: session refused", "user", user, "ip", c.ip, "why", why)
	_ = c.writeNow(ctx, &signaling.Frame{Type: signaling.TypeError, Code: signaling.CodeRateLimited, Reason: why})
	return fmt.Errorf("%w: %s", ErrSessionLimit, why)
}

func (s *Server) authFail(ctx context.Context, c *conn, user, why string) error {
	s.m.authFail.Add(1)
	s.log.Info("signaling: login rejected", "user", user, "ip", c.ip, "why", why)
	_ = c.writeNow(ctx, &signaling.Frame{Type: signaling.TypeError, Code: signaling.CodeAuth, Reason: why})
	_ = c.ws.Close(websocket.StatusPolicyViolation, "auth")
	return fmt.Errorf("%w: %s", signaling.ErrAuth, why)
}

// errorFrame turns a decode error into an error frame for the client.
func errorFrame(err error, call *signaling.Frame) *signaling.Frame {
	code := signaling.CodeBadRequest
	switch {
	case errors.Is(err, signaling.ErrTooLarge):
		code = signaling.CodeTooLarge
	case errors.Is(err, signaling.ErrVersion):
		code = signaling.CodeVersion
	}
	f := &signaling.Frame{Type: signaling.TypeError, Code: code, Reason: err.Error()}
	if call != nil {
		f.Call = call.Call
	}
	return f
}

// inboundLimiter bounds the invites one user receives on this node.
func (s *Server) inboundLimiter() *rate.Limiter {
	per := s.cfg.Limits.CalleeInvitesPerSec
	if per < 0 {
		return rate.NewLimiter(rate.Inf, 0)
	}
	return rate.NewLimiter(rate.Limit(per), max(4, int(2*per)))
}

func (s *Server) newLimiter(perSec float64) *rate.Limiter {
	if perSec < 0 {
		return rate.NewLimiter(rate.Inf, 0)
	}
	return rate.NewLimiter(rate.Limit(perSec), int(2*perSec)+1)
}

// attach binds c to the session (f.User, f.Device), resuming it if it is still there.
func (s *Server) attach(c *conn, f *signaling.Frame) (*session, error) {
	s.mu.Lock()
	if s.draining {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	ue := s.users[f.User]
	if ue == nil {
		// First device of this user here: subscribe outside the lock (a broker round trip).
		ue = &userEntry{name: f.User, devices: make(map[string]*session), ready: make(chan struct{}),
			invites: s.newLimiter(s.cfg.Limits.UserInvitesPerSec), msgs: s.newLimiter(s.cfg.Limits.UserMessagesPerSec),
			inbound: s.inboundLimiter()}
		s.users[f.User] = ue
		s.mu.Unlock()
		sub, err := s.broker.Subscribe(userSubject(f.User), s.onRoute)
		s.mu.Lock()
		ue.sub, ue.subErr = sub, err
		close(ue.ready)
		if err != nil && s.users[f.User] == ue {
			delete(s.users, f.User)
		}
	} else {
		s.mu.Unlock()
		<-ue.ready
		s.mu.Lock()
		if ue.subErr == nil && s.users[f.User] != ue {
			s.mu.Unlock() // its last device left meanwhile and took the subscription along
			return s.attach(c, f)
		}
	}
	if ue.subErr != nil || s.draining {
		var orphan Subscription
		if ue.subErr == nil && len(ue.devices) == 0 && s.users[f.User] == ue {
			delete(s.users, f.User)
			orphan = ue.sub
		}
		s.mu.Unlock()
		if orphan != nil {
			_ = orphan.Unsubscribe()
		}
		_ = c.writeNow(context.Background(), &signaling.Frame{Type: signaling.TypeError, Code: signaling.CodeRoute, Reason: "broker unavailable"})
		return nil, fmt.Errorf("signaling: subscribing %s: %w", f.User, errors.Join(ue.subErr, ErrClosed))
	}
	sess := ue.devices[f.Device]
	resumed := sess != nil
	if sess == nil {
		ipk := ipKey(c.ip)
		var why string
		switch {
		case len(ue.devices) >= s.cfg.Limits.MaxDevicesPerUser:
			why = "too many devices logged in"
		case s.sessIP[ipk] >= s.cfg.Limits.MaxSessionsPerIP:
			why = "too many sessions from your address"
		}
		if why != "" {
			var orphan Subscription
			if len(ue.devices) == 0 && s.users[f.User] == ue {
				delete(s.users, f.User)
				orphan = ue.sub
			}
			s.mu.Unlock()
			if orphan != nil {
				_ = orphan.Unsubscribe()
			}
			return nil, s.refuseSession(context.Background(), c, f.User, why)
		}
		sess = newSession(s, ue, f.Device, f.Key)
		sess.ipKey, sess.created = ipk, s.clock.Now()
		s.sessIP[ipk]++
		ue.devices[f.Device] = sess
		s.m.sessions.Add(1)
	}
	s.mu.Unlock()
	s.m.logins.Add(1)
	if resumed {
		s.m.resumed.Add(1)
	}
	welcome := &signaling.Frame{Type: signaling.TypeWelcome, Server: s.cfg.ID, Device: f.Device, Resumed: resumed, TURN: s.turnInfo(f.User)}
	if !sess.attach(c, welcome, f.Ack) {
		return nil, ErrClosed
	}
	c.startWriter(sess)
	s.log.Info("signaling: logged in", "user", f.User, "device", f.Device, "ip", c.ip, "resumed", resumed)
	return sess, nil
}

// turnInfo mints the ICE server info for user, or nil when none is configured.
func (s *Server) turnInfo(user string) *signaling.TURNInfo {
	t := s.cfg.TURN
	if len(t.URLs) == 0 {
		return nil
	}
	info := &signaling.TURNInfo{URLs: t.URLs}
	if len(t.Secret) != 0 {
		u, p, exp, err := signaling.MintTURN(t.Secret, user, s.clock.Now(), t.TTL)
		if err == nil {
			info.Username, info.Credential, info.Expires, info.TTL = u, p, exp, int(t.TTL/time.Second)
		}
	}
	return info
}

// removeSession drops sess from the user table (after expiry), unsubscribing the user when it
// was the last device on this node.
func (s *Server) removeSession(sess *session) {
	s.mu.Lock()
	ue := sess.ue
	var sub Subscription
	if ue.devices[sess.device] == sess {
		delete(ue.devices, sess.device)
		if s.sessIP[sess.ipKey]--; s.sessIP[sess.ipKey] <= 0 {
			delete(s.sessIP, sess.ipKey)
		}
		s.m.sessions.Add(-1)
		if len(ue.devices) == 0 && s.users[ue.name] == ue {
			delete(s.users, ue.name)
			sub = ue.sub
		}
	}
	s.mu.Unlock()
	if sub != nil {
		_ = sub.Unsubscribe()
	}
}

// localSessions returns this node's sessions of user (one device if device is non-empty).
func (s *Server) localSessions(user, device string) []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	ue := s.users[user]
	if ue == nil {
		return nil
	}
	if device != "" {
		if ss := ue.devices[device]; ss != nil {
			return []*session{ss}
		}
		return nil
	}
	out := make([]*session, 0, len(ue.devices))
	for _, ss := range ue.devices {
		out = append(out, ss)
	}
	return out
}

func userSubject(user string) string { return "parley.user." + user }
