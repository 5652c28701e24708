package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"

	"github.com/parley-voice/parley/signaling"
)

// TURNServerConfig configures the embedded TURN server. Zero fields take the defaults given.
type TURNServerConfig struct {
	// Secret is the REST-credential HMAC secret, the same as Config.TURN.Secret. Required.
	Secret []byte
	// Realm is the TURN realm; zero is "parley".
	Realm string
	// UDPAddr is the UDP listen address, e.g. "0.0.0.0:3478"; empty disables UDP.
	UDPAddr string
	// TCPAddr is the TCP listen address; empty disables TCP.
	TCPAddr string
	// RelayIP is the address relays are announced at (the server's public IP). Zero uses the
	// host of UDPAddr or TCPAddr, which must then be a specific IP.
	RelayIP net.IP
	// RelayBind is the local IP relay sockets bind to; zero is RelayIP.
	RelayBind string
	// AllowPeers are peer ranges relayed to even though they are on the built-in deny list
	// (loopback, RFC 1918, link-local, CGNAT, unspecified, multicast, ULA and their
	// IPv4-mapped forms). Zero allows none: the default is coturn's recommended
	// denied-peer-ip set. Tests and the one-machine demo allow 127.0.0.0/8.
	AllowPeers []netip.Prefix
	// TCPRelay allows RFC 6062 TCP relay allocations (the relay opens TCP connections to
	// peers). Zero refuses them; Parley's own clients only use UDP relays (reached over UDP
	// or TCP).
	TCPRelay bool
	// MaxAllocationsPerUser bounds one user's live allocations (over all its credentials);
	// zero is 10, negative is unlimited. One call uses one or two.
	MaxAllocationsPerUser int
	// Clock checks credential expiry; nil is the system clock.
	Clock Clock
	// Logger receives pion's TURN logs; nil discards. Credentials are never logged.
	Logger *slog.Logger
}

// TURNServer is an embedded pion TURN server authenticating coturn-style REST credentials,
// so it and an external coturn are interchangeable. Close stops it.
type TURNServer struct {
	srv   *turn.Server
	udp   net.PacketConn
	tcp   net.Listener
	quota *allocQuota
}

// StartTURN listens and starts serving.
func StartTURN(cfg TURNServerConfig) (*TURNServer, error) {
	if len(cfg.Secret) == 0 || cfg.UDPAddr == "" && cfg.TCPAddr == "" {
		return nil, fmt.Errorf("%w: TURN needs a secret and a listen address", ErrConfig)
	}
	if cfg.Realm == "" {
		cfg.Realm = "parley"
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RelayIP == nil {
		addr := cfg.UDPAddr
		if addr == "" {
			addr = cfg.TCPAddr
		}
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		cfg.RelayIP = net.ParseIP(host)
		if cfg.RelayIP == nil || cfg.RelayIP.IsUnspecified() {
			return nil, fmt.Errorf("%w: set RelayIP when listening on %q", ErrConfig, addr)
		}
	}
	if cfg.RelayBind == "" {
		cfg.RelayBind = cfg.RelayIP.String()
	}
	if cfg.MaxAllocationsPerUser == 0 {
		cfg.MaxAllocationsPerUser = 10
	}
	// The relay's own public address stays allowed: two relayed peers send to each other's
	// relay address on it. Services on that address are reachable through the relay (as
	// with coturn), which is why -admin-addr keeps /metrics off it.
	filter := peerFilter{allow: cfg.AllowPeers}
	permit := func(client net.Addr, peer net.IP) bool {
		if filter.permit(peer) {
			return true
		}
		cfg.Logger.Info("signaling: TURN peer refused", "client", client, "peer", peer)
		return false
	}
	gen := func() turn.RelayAddressGenerator {
		return &relayGen{RelayAddressGeneratorStatic: turn.RelayAddressGeneratorStatic{RelayAddress: cfg.RelayIP, Address: cfg.RelayBind}, tcp: cfg.TCPRelay}
	}
	t := &TURNServer{quota: &allocQuota{max: cfg.MaxAllocationsPerUser, n: make(map[string]int)}}
	sc := turn.ServerConfig{
		Realm:         cfg.Realm,
		LoggerFactory: pionLogs{cfg.Logger.With("scope", "turn")},
		QuotaHandler:  t.quota.allow,
		EventHandler: turn.EventHandler{
			OnAllocationCreated: func(_, _ net.Addr, _, userID, _ string, _ net.Addr, _ int) { t.quota.add(userID, 1) },
			OnAllocationDeleted: func(_, _ net.Addr, _, userID, _ string) { t.quota.add(userID, -1) },
		},
		AuthHandler: func(ra *turn.RequestAttributes) (string, []byte, bool) {
			pw, err := signaling.CheckTURN(cfg.Secret, ra.Username, cfg.Clock.Now())
			if err != nil {
				cfg.Logger.Debug("signaling: TURN credential refused", "err", err)
				return "", nil, false
			}
			return ra.Username, turn.GenerateAuthKey(ra.Username, cfg.Realm, pw), true
		},
	}
	if cfg.UDPAddr != "" {
		pc, err := net.ListenPacket("udp", cfg.UDPAddr)
		if err != nil {
			return nil, fmt.Errorf("signaling: TURN UDP: %w", err)
		}
		t.udp = pc
		sc.PacketConnConfigs = []turn.PacketConnConfig{{PacketConn: pc, RelayAddressGenerator: gen(), PermissionHandler: permit}}
	}
	if cfg.TCPAddr != "" {
		ln, err := net.Listen("tcp", cfg.TCPAddr)
		if err != nil {
			t.closeListeners()
			return nil, fmt.Errorf("signaling: TURN TCP: %w", err)
		}
		t.tcp = ln
		sc.ListenerConfigs = []turn.ListenerConfig{{Listener: ln, RelayAddressGenerator: gen(), PermissionHandler: permit}}
	}
	srv, err := turn.NewServer(sc)
	if err != nil {
		t.closeListeners()
		return nil, fmt.Errorf("signaling: TURN: %w", err)
	}
	t.srv = srv
	return t, nil
}

func (t *TURNServer) closeListeners() {
	if t.udp != nil {
		_ = t.udp.Close()
	}
	if t.tcp != nil {
		_ = t.tcp.Close()
	}
}

// UDPAddr returns the UDP listen address, or nil.
func (t *TURNServer) UDPAddr() net.Addr {
	if t.udp == nil {
		return nil
	}
	return t.udp.LocalAddr()
}

// TCPAddr returns the TCP listen address, or nil.
func (t *TURNServer) TCPAddr() net.Addr {
	if t.tcp == nil {
		return nil
	}
	return t.tcp.Addr()
}

// URLs returns the STUN and TURN URLs clients should use to reach this server at host (the
// public name or IP; empty uses the listen addresses).
func (t *TURNServer) URLs(host string) []string {
	var urls []string
	hp := func(a net.Addr) string {
		h, p, _ := net.SplitHostPort(a.String())
		if host != "" {
			h = host
		}
		if strings.Contains(h, ":") {
			h = "[" + h + "]"
		}
		return h + ":" + p
	}
	if a := t.UDPAddr(); a != nil {
		urls = append(urls, "stun:"+hp(a), "turn:"+hp(a)+"?transport=udp")
	}
	if a := t.TCPAddr(); a != nil {
		urls = append(urls, "turn:"+hp(a)+"?transport=tcp")
	}
	return urls
}

// Close stops the server and its listeners.
func (t *TURNServer) Close() error {
	return t.srv.Close()
}

// relayGen is pion's static relay generator with RFC 6062 TCP relays refused unless enabled.
type relayGen struct {
	turn.RelayAddressGeneratorStatic
	tcp bool
}

func (g *relayGen) AllocateListener(c turn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	if !g.tcp {
		return nil, nil, ErrTCPRelay
	}
	return g.RelayAddressGeneratorStatic.AllocateListener(c)
}

func (g *relayGen) AllocateConn(c turn.AllocateConnConfig) (net.Conn, error) {
	if !g.tcp {
		return nil, ErrTCPRelay
	}
	return g.RelayAddressGeneratorStatic.AllocateConn(c)
}

// allocQuota counts live allocations per user (the name part of a REST username
// "expiry:user", so fresh credentials do not reset the count). Safe for concurrent use.
type allocQuota struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

func quotaUser(username string) string {
	if _, u, ok := strings.Cut(username, ":"); ok {
		return u
	}
	return username
}

// allow is pion's QuotaHandler: a new allocation is refused (486) at the cap.
func (q *allocQuota) allow(username, _ string, _ net.Addr) bool {
	if q.max < 0 {
		return true
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n[quotaUser(username)] < q.max
}

func (q *allocQuota) add(username string, d int) {
	u := quotaUser(username)
	q.mu.Lock()
	if q.n[u] += d; q.n[u] <= 0 {
		delete(q.n, u)
	}
	q.mu.Unlock()
}

// pionLogs adapts slog to pion's logging.LoggerFactory.
type pionLogs struct{ log *slog.Logger }

func (f pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.log.With("pion", scope)}
}

type pionLogger struct{ log *slog.Logger }

func (l pionLogger) emit(level slog.Level, format string, args ...any) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, fmt.Sprintf(format, args...))
	}
}

func (l pionLogger) Trace(msg string)                  { l.emit(slog.LevelDebug-4, "%s", msg) }
func (l pionLogger) Tracef(format string, args ...any) { l.emit(slog.LevelDebug-4, format, args...) }
func (l pionLogger) Debug(msg string)                  { l.emit(slog.LevelDebug, "%s", msg) }
func (l pionLogger) Debugf(format string, args ...any) { l.emit(slog.LevelDebug, format, args...) }
func (l pionLogger) Info(msg string)                   { l.emit(slog.LevelInfo, "%s", msg) }
func (l pionLogger) Infof(format string, args ...any)  { l.emit(slog.LevelInfo, format, args...) }
func (l pionLogger) Warn(msg string)                   { l.emit(slog.LevelWarn, "%s", msg) }
func (l pionLogger) Warnf(format string, args ...any)  { l.emit(slog.LevelWarn, format, args...) }
func (l pionLogger) Error(msg string)                  { l.emit(slog.LevelError, "%s", msg) }
func (l pionLogger) Errorf(format string, args ...any) { l.emit(slog.LevelError, format, args...) }
