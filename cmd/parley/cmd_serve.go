// The service subcommands: parley serve (the signaling node) and parley id (identity keys).

package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	iofs "io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling/server"
	"github.com/parley-voice/parley/signaling/server/natsbroker"
)

func cmdServe(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "serve", "", "Run the signaling service with embedded TURN.\n\n"+
		"By default TURN runs embedded (UDP and TCP on -turn-listen) with a random secret. With\n"+
		"-turn-secret and -turn-url, clients are pointed at an external coturn instead\n"+
		"(use-auth-secret, same secret). With -nats, nodes sharing one NATS server (JetStream\n"+
		"enabled) form one service; give each node NATS credentials (-nats-creds or -nats-nkey)\n"+
		"and TLS (-nats-tls-ca, -nats-tls-cert, -nats-tls-key). A single node keeps its name →\n"+
		"key bindings in DIR/names.db (-data).")
	addr := fs.String("addr", "127.0.0.1:7000", "HTTP/WebSocket listen `address` (serves /v1/ws, /healthz and, without -admin-addr, /metrics)")
	adminAddr := fs.String("admin-addr", "", "operator-only listen `address` for /metrics and /healthz (then /metrics is not on -addr)")
	dataDir := fs.String("data", "", "`directory` of the single-node name registry names.db (default $XDG_STATE_HOME/parley or ~/.local/state/parley;\n"+
		"unused with -nats, whose JetStream KV holds the names)")
	var nopt natsFlags
	nopt.add(fs)
	natsURL := fs.String("nats", "", "NATS `URL` for multi-node routing and registration (empty: single node)")
	nodeID := fs.String("id", "", "node `ID` (default random)")
	turnSecret := fs.String("turn-secret", "", "TURN REST `secret` shared with an external coturn (static-auth-secret)")
	var turnURLs []string
	fs.Func("turn-url", "external STUN/TURN `URL` handed to clients (repeatable), e.g. turn:host:3478?transport=udp", func(v string) error {
		if !strings.HasPrefix(v, "stun:") && !strings.HasPrefix(v, "turn:") && !strings.HasPrefix(v, "turns:") {
			return fmt.Errorf("%q is not a stun:, turn: or turns: URL", v)
		}
		turnURLs = append(turnURLs, v)
		return nil
	})
	turnListen := fs.String("turn-listen", "127.0.0.1:3478", "embedded TURN listen `address`, UDP and TCP (empty: no embedded TURN)")
	turnHost := fs.String("turn-public-host", "", "`host` clients use to reach the embedded TURN server (default: the listen host)")
	turnTTL := fs.Duration("turn-ttl", 10*time.Minute, "lifetime of TURN credentials")
	var allowPeers []netip.Prefix
	fs.Func("turn-allow-peer", "`CIDR` the embedded TURN server may relay to although it is internal (repeatable), e.g. 127.0.0.0/8\n"+
		"on one machine; by default loopback, private, link-local, CGNAT, multicast and ULA peers are refused", func(v string) error {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return err
		}
		allowPeers = append(allowPeers, p.Masked())
		return nil
	})
	tcpRelay := fs.Bool("turn-tcp-relay", false, "allow RFC 6062 TCP relay allocations on the embedded TURN server")
	turnAllocs := fs.Int("turn-max-allocs", 10, "live TURN allocations allowed per user")
	ring := fs.Duration("ring-timeout", 30*time.Second, "how long an invite rings")
	grace := fs.Duration("resume-grace", 30*time.Second, "how long a dropped session waits to be resumed")
	perIP := fs.Int("max-conns-per-ip", 64, "concurrent WebSockets allowed from one IP address")
	maxConns := fs.Int("max-conns", 100000, "concurrent WebSockets allowed on this node")
	sessPerIP := fs.Int("max-sessions-per-ip", 64, "sessions (live or awaiting resume) allowed from one IPv4 address or IPv6 /64")
	devices := fs.Int("max-devices", 8, "devices one user may have logged in on this node")
	regsPerIP := fs.Float64("registrations-per-ip", 30, "new names one IPv4 address or IPv6 /64 may register per hour, at most 10 at once (negative: unlimited)")
	idle := fs.Duration("read-idle-timeout", 90*time.Second, "close a connection silent (no frame, no ping) for this long")
	verbose := fs.Bool("v", false, "log debug events")
	gcPercent := fs.Int("gc-percent", 0, "Go GC target percentage (0: the GOGC default); a node holding many idle\n"+
		"sessions has a large live heap, and a higher value trades memory for fewer collections")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("serve takes no arguments")
	}
	if *gcPercent < 0 {
		return usagef("-gc-percent must be ≥ 0")
	}
	if *gcPercent > 0 {
		debug.SetGCPercent(*gcPercent)
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		return usagef("-addr %q: %v", *addr, err)
	}
	if (*turnSecret == "") != (len(turnURLs) == 0) {
		return usagef("-turn-secret and -turn-url go together (an external TURN server needs both)")
	}
	if *turnTTL < time.Second || *ring <= 0 || *grace <= 0 || *perIP <= 0 || *maxConns <= 0 || *sessPerIP <= 0 || *devices <= 0 || *turnAllocs <= 0 || *idle <= 0 || *regsPerIP == 0 {
		return usagef("-turn-ttl, -ring-timeout, -resume-grace, -read-idle-timeout and the connection, session, device, registration and allocation limits must be positive")
	}
	if *adminAddr != "" {
		if _, _, err := net.SplitHostPort(*adminAddr); err != nil {
			return usagef("-admin-addr %q: %v", *adminAddr, err)
		}
	}
	natsOpts, err := nopt.options(*natsURL)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	cfg := server.Config{ID: *nodeID, Logger: log, RingTimeout: *ring, ResumeGrace: *grace, ReadIdleTimeout: *idle,
		PrivateMetrics: *adminAddr != "",
		Limits: server.Limits{MaxConnsPerIP: *perIP, MaxConns: *maxConns, MaxSessionsPerIP: *sessPerIP,
			MaxDevicesPerUser: *devices, RegistrationsPerIPPerHour: *regsPerIP}}

	cfg.TURN.TTL = *turnTTL
	if *turnSecret != "" {
		cfg.TURN.Secret, cfg.TURN.URLs = []byte(*turnSecret), turnURLs
	} else if *turnListen != "" {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return err
		}
		host, _, err := net.SplitHostPort(*turnListen)
		if err != nil {
			return usagef("-turn-listen %q: %v", *turnListen, err)
		}
		ip := net.ParseIP(host)
		if ip == nil || ip.IsUnspecified() {
			if *turnHost == "" {
				return usagef("-turn-listen %q needs -turn-public-host with the IP clients reach", *turnListen)
			}
			ip = net.ParseIP(*turnHost)
			if ip == nil {
				return usagef("-turn-public-host must be an IP address when -turn-listen is a wildcard")
			}
		}
		ts, err := server.StartTURN(server.TURNServerConfig{Secret: secret, UDPAddr: *turnListen, TCPAddr: *turnListen,
			RelayIP: ip, RelayBind: host, Logger: log, AllowPeers: allowPeers, TCPRelay: *tcpRelay, MaxAllocationsPerUser: *turnAllocs})
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("embedded TURN: %s is taken (another 'parley serve' or TURN server?): "+
				"pick another port with -turn-listen (e.g. -turn-listen %s), or -turn-listen '' for no embedded TURN: %w",
				*turnListen, net.JoinHostPort(host, "0"), err)
		}
		if err != nil {
			return err
		}
		defer ts.Close()
		cfg.TURN.Secret, cfg.TURN.URLs = secret, ts.URLs(*turnHost)
		log.Info("parley serve: embedded TURN", "udp", ts.UDPAddr(), "tcp", ts.TCPAddr())
	}
	if *natsURL != "" {
		nb, err := natsbroker.Connect(*natsURL, natsOpts...)
		if err != nil {
			return err
		}
		defer nb.Close()
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		reg, err := natsbroker.NewRegistry(rctx, nb, "")
		cancel()
		if err != nil {
			return err
		}
		cfg.Broker, cfg.Registry = nb, reg
	} else {
		dir, err := stateDir(*dataDir)
		if err != nil {
			return err
		}
		reg, err := server.OpenFileRegistry(dir)
		if err != nil {
			return err
		}
		defer reg.Close()
		cfg.Registry = reg
		log.Info("parley serve: name registry", "file", filepath.Join(dir, server.RegistryFile))
	}
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s is taken (another 'parley serve'?): pick another with -addr: %w", *addr, err)
	}
	if err != nil {
		return err
	}
	log.Info("parley serve: listening", "ws", "ws://"+ln.Addr().String()+server.PathWS, "node", srv.ID(), "nats", *natsURL != "")
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if *adminAddr != "" {
		aln, err := net.Listen("tcp", *adminAddr)
		if err != nil {
			_ = srv.Close()
			<-errc
			return err
		}
		log.Info("parley serve: admin listener", "metrics", "http://"+aln.Addr().String()+server.PathMetrics)
		go func() {
			if err := srv.ServeAdmin(aln); err != nil {
				errc <- err
			}
		}()
	}
	select {
	case err := <-errc:
		_ = srv.Close()
		return err
	case <-ctx.Done():
	}
	log.Info("parley serve: shutting down, telling clients to reconnect")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return <-errc
}

func cmdID(_ context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "id", "new|show", "Create (new) or show (show) your long-term identity key.\n\n"+
		"The key is stored, readable by you only, in DIR/identity.key (the 32-byte Ed25519 seed in\n"+
		"hex). Share the fingerprint that 'show' prints so contacts can verify it.")
	dir := fs.String("dir", "", "config `directory` (default $"+envDir+", else $XDG_CONFIG_HOME/parley or ~/.config/parley)")
	force := fs.Bool("force", false, "with new: replace an existing identity (contacts will see a changed key)")
	var verb string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		verb, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if verb == "" && fs.NArg() > 0 {
		verb = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usagef("id %s takes no arguments", verb)
	}
	if verb != "new" && verb != "show" {
		return usagef("id: say new or show")
	}
	if *dir = configDir(*dir); *dir == "" {
		return usagef("no config directory: pass -dir or set $%s", envDir)
	}
	path := filepath.Join(*dir, e2ee.IdentityFile)
	show := func(k *e2ee.IdentityKey) {
		pub := k.Public()
		fmt.Fprintf(env.Stdout, "identity:    %s\npublic key:  %s\nfingerprint: %s\n", path, pub, pub.Fingerprint())
	}
	if verb == "show" {
		k, err := e2ee.LoadIdentity(*dir)
		if errors.Is(err, iofs.ErrNotExist) {
			return fmt.Errorf("no identity in %s (run 'parley id new'): %w", *dir, err)
		}
		if err != nil {
			return err
		}
		defer k.Wipe()
		show(k)
		return nil
	}
	if _, err := os.Stat(path); err == nil && !*force {
		return fmt.Errorf("%s exists; pass -force to replace it", path)
	}
	k, err := e2ee.GenerateIdentityKey(nil)
	if err != nil {
		return err
	}
	defer k.Wipe()
	if err := k.Save(*dir); err != nil {
		return err
	}
	show(k)
	return nil
}
