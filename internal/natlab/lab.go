package natlab

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/turn/v5"
)

// Fixed addresses of every lab.
const (
	// ServerIP is the WAN address of the STUN/TURN server.
	ServerIP = "203.0.113.1"
	// TURNPort is the STUN/TURN port, for UDP and for the emulated TCP.
	TURNPort = 3478
	// MaxPeers is the largest number of peers a lab holds.
	MaxPeers = 200
)

// Config describes a lab. The zero value is invalid only because it has no
// peers; every other field works at its zero value.
type Config struct {
	// Peers lists the peers, at least one and at most MaxPeers. Each gets
	// its own LAN (unless NoNAT) and public address, in order.
	Peers []PeerConfig

	// Logger receives the logs of the routers, NATs and TURN server
	// (dropped packets are logged at Warn by vnet). Nil discards.
	Logger *slog.Logger

	// Realm is the TURN realm. Empty means "parley.test".
	Realm string

	// Secret is the TURN REST shared secret used to mint credentials.
	// Empty means a random secret per lab.
	Secret string

	// CredentialTTL is how long minted TURN credentials stay valid. Zero
	// means one hour.
	CredentialTTL time.Duration

	// WANDelay is the minimum one-way delay a datagram spends in the WAN
	// router. Zero means none (delivery as fast as the router runs).
	WANDelay time.Duration
}

// PeerConfig describes one peer of a lab.
type PeerConfig struct {
	// Name identifies the peer; empty means "peerN" (N its index). Names
	// are unique within a lab.
	Name string
	// NAT is the peer's attachment; the zero value is NoNAT.
	NAT NAT
	// Mapping and Filtering are the RFC 4787 behaviours of a CustomNAT;
	// they must be zero for every other kind.
	Mapping, Filtering Behavior
}

// Peer is one host of a lab. All fields are immutable after New.
type Peer struct {
	// Name is the peer's unique name.
	Name string
	// NAT is the peer's attachment.
	NAT NAT
	// LocalIP is the address on the peer's own interface (its host
	// candidate address).
	LocalIP net.IP
	// PublicIP is the address the WAN sees: the NAT's external address, or
	// LocalIP with NoNAT.
	PublicIP net.IP

	vnet *vnet.Net
	net  *peerNet
	lab  *Lab
}

// Net returns the network to hand to pion (ice.AgentConfig.Net,
// webrtc.SettingEngine.SetNet): vnet for UDP, plus outbound TCP to the TURN
// server only (Dial, DialTCP and CreateDialer; any other TCP destination
// fails with ErrNoTCPRoute, and ListenTCP is unsupported as in vnet).
func (p *Peer) Net() transport.Net { return p.net }

// VNet returns the peer's underlying *vnet.Net, which has no TCP at all.
func (p *Peer) VNet() *vnet.Net { return p.vnet }

// vnetMu serializes construction of vnet routers and nets: vnet's
// newMACAddress increments an unsynchronized package-level counter, which is
// a data race when labs are built concurrently (pion/transport v5.1.4,
// vnet/net.go).
var vnetMu sync.Mutex

func newRouter(cfg *vnet.RouterConfig) (*vnet.Router, error) {
	vnetMu.Lock()
	defer vnetMu.Unlock()
	return vnet.NewRouter(cfg)
}

func newNet(cfg *vnet.NetConfig) (*vnet.Net, error) {
	vnetMu.Lock()
	defer vnetMu.Unlock()
	return vnet.NewNet(cfg)
}

// Lab is a running network lab. Its methods are safe for concurrent use.
type Lab struct {
	// Immutable after New.
	log      *slog.Logger
	realm    string
	secret   string
	ttl      time.Duration
	serverIP net.IP
	wan      *vnet.Router
	server   *turn.Server
	listener *streamListener
	peers    []*Peer
	byName   map[string]*Peer

	// mu guards the following.
	mu       sync.Mutex
	closed   bool
	streams  []net.Conn // both ends of every emulated TCP stream
	nextPort int        // next emulated TCP port
}

// New builds and starts a lab: the WAN router, one LAN router per NATed
// peer, and the STUN/TURN server. The caller must Close it.
func New(cfg Config) (*Lab, error) {
	if err := validate(cfg); err != nil {
		return nil, err
	}
	lab := &Lab{
		log:      cfg.Logger,
		realm:    cfg.Realm,
		secret:   cfg.Secret,
		ttl:      cfg.CredentialTTL,
		serverIP: net.ParseIP(ServerIP).To4(),
		byName:   make(map[string]*Peer, len(cfg.Peers)),
		nextPort: 50000,
	}
	if lab.log == nil {
		lab.log = discardLogger()
	}
	if lab.realm == "" {
		lab.realm = "parley.test"
	}
	if lab.secret == "" {
		var b [16]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
		lab.secret = hex.EncodeToString(b[:])
	}
	if lab.ttl == 0 {
		lab.ttl = time.Hour
	}
	factory := slogFactory{log: lab.log.With("lab", "natlab")}

	wan, err := newRouter(&vnet.RouterConfig{
		Name: "wan", CIDR: "0.0.0.0/0", MinDelay: cfg.WANDelay, LoggerFactory: factory,
	})
	if err != nil {
		return nil, fmt.Errorf("natlab: WAN router: %w", err)
	}
	lab.wan = wan
	serverNet, err := newNet(&vnet.NetConfig{StaticIPs: []string{ServerIP}})
	if err != nil {
		return nil, fmt.Errorf("natlab: server net: %w", err)
	}
	if err := wan.AddNet(serverNet); err != nil {
		return nil, fmt.Errorf("natlab: server net: %w", err)
	}
	for i, pc := range cfg.Peers {
		p, err := lab.addPeer(i, pc, factory)
		if err != nil {
			return nil, err
		}
		lab.peers = append(lab.peers, p)
		lab.byName[p.Name] = p
	}
	if err := wan.Start(); err != nil {
		return nil, fmt.Errorf("natlab: start routers: %w", err)
	}
	if err := lab.startServer(serverNet, factory); err != nil {
		_ = wan.Stop()
		return nil, err
	}
	lab.log.Debug("natlab: lab up", "peers", len(lab.peers))
	return lab, nil
}

// validate checks cfg without side effects.
func validate(cfg Config) error {
	if len(cfg.Peers) == 0 {
		return ErrNoPeers
	}
	if cfg.WANDelay < 0 {
		return fmt.Errorf("%w: WANDelay = %v", ErrNegativeDuration, cfg.WANDelay)
	}
	if cfg.CredentialTTL < 0 {
		return fmt.Errorf("%w: CredentialTTL = %v", ErrNegativeDuration, cfg.CredentialTTL)
	}
	if len(cfg.Peers) > MaxPeers {
		return fmt.Errorf("%w: %d > %d", ErrTooManyPeers, len(cfg.Peers), MaxPeers)
	}
	seen := make(map[string]bool, len(cfg.Peers))
	for i, pc := range cfg.Peers {
		if !pc.NAT.valid() {
			return fmt.Errorf("%w: Peers[%d].NAT = %d", ErrUnknownNAT, i, int(pc.NAT))
		}
		if !pc.Mapping.valid() || !pc.Filtering.valid() ||
			(pc.NAT != CustomNAT && (pc.Mapping != EndpointIndependent || pc.Filtering != EndpointIndependent)) {
			return fmt.Errorf("%w: Peers[%d] (%v) Mapping = %v, Filtering = %v",
				ErrBadBehavior, i, pc.NAT, pc.Mapping, pc.Filtering)
		}
		name := peerName(i, pc)
		if seen[name] {
			return fmt.Errorf("%w: Peers[%d].Name = %q", ErrDuplicatePeer, i, name)
		}
		seen[name] = true
	}
	return nil
}

func peerName(i int, pc PeerConfig) string {
	if pc.Name != "" {
		return pc.Name
	}
	return fmt.Sprintf("peer%d", i)
}

// addPeer attaches peer i to the WAN, behind its own LAN router unless NoNAT.
func (l *Lab) addPeer(i int, pc PeerConfig, factory logging.LoggerFactory) (*Peer, error) {
	p := &Peer{
		Name:     peerName(i, pc),
		NAT:      pc.NAT,
		PublicIP: net.IPv4(198, 51, 100, byte(i+1)).To4(),
		lab:      l,
	}
	if pc.NAT == NoNAT {
		p.LocalIP = p.PublicIP
	} else {
		p.LocalIP = net.IPv4(10, 0, byte(i+1), 2).To4()
	}
	vn, err := newNet(&vnet.NetConfig{StaticIPs: []string{p.LocalIP.String()}})
	if err != nil {
		return nil, fmt.Errorf("natlab: peer %q: %w", p.Name, err)
	}
	p.vnet = vn
	p.net = &peerNet{Net: vn, lab: l, peer: p}
	if pc.NAT == NoNAT {
		if err := l.wan.AddNet(vn); err != nil {
			return nil, fmt.Errorf("natlab: peer %q: %w", p.Name, err)
		}
		return p, nil
	}
	lanCIDR := &net.IPNet{IP: net.IPv4(10, 0, byte(i+1), 0).To4(), Mask: net.CIDRMask(24, 32)}
	lan, err := newRouter(&vnet.RouterConfig{
		Name:          "lan-" + p.Name,
		CIDR:          lanCIDR.String(),
		StaticIPs:     []string{p.PublicIP.String()},
		NATType:       pc.NAT.vnetType(pc),
		LoggerFactory: factory,
	})
	if err != nil {
		return nil, fmt.Errorf("natlab: peer %q LAN: %w", p.Name, err)
	}
	if pc.NAT == UDPBlocked {
		lan.AddChunkFilter(dropUDPCrossing(lanCIDR))
	}
	if err := lan.AddNet(vn); err != nil {
		return nil, fmt.Errorf("natlab: peer %q LAN: %w", p.Name, err)
	}
	if err := l.wan.AddRouter(lan); err != nil {
		return nil, fmt.Errorf("natlab: peer %q LAN: %w", p.Name, err)
	}
	return p, nil
}

// dropUDPCrossing is a firewall that drops every UDP datagram with exactly
// one end inside lan, i.e. all UDP entering or leaving it.
func dropUDPCrossing(lan *net.IPNet) vnet.ChunkFilter {
	return func(c vnet.Chunk) bool {
		if c.Network() != "udp" {
			return true
		}
		src, sok := c.SourceAddr().(*net.UDPAddr)
		dst, dok := c.DestinationAddr().(*net.UDPAddr)
		if !sok || !dok {
			return false
		}
		return lan.Contains(src.IP) == lan.Contains(dst.IP)
	}
}

// Peers returns the lab's peers in configuration order.
func (l *Lab) Peers() []*Peer { return append([]*Peer(nil), l.peers...) }

// Peer returns the peer named name, or ErrUnknownPeer.
func (l *Lab) Peer(name string) (*Peer, error) {
	p, ok := l.byName[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownPeer, name)
	}
	return p, nil
}

// dialStream opens an emulated TCP stream from p to the TURN server.
func (l *Lab) dialStream(p *Peer) (transport.TCPConn, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	port := l.nextPort
	l.nextPort++
	l.mu.Unlock()

	local := &net.TCPAddr{IP: p.LocalIP, Port: port}
	public := &net.TCPAddr{IP: p.PublicIP, Port: port}
	client, server, err := l.listener.dial(local, public)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		_ = client.Close()
		_ = server.Close()
		return nil, ErrClosed
	}
	l.streams = append(l.streams, client, server)
	return client, nil
}

// Close stops the TURN server, closes every emulated TCP stream and stops
// all routers. Pion's goroutines (router loops, TURN read loops) exit
// shortly after Close returns. Close is idempotent; later calls return nil.
// Peers' own sockets (ICE agents) should be closed by their owners first.
func (l *Lab) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	streams := l.streams
	l.streams = nil
	l.mu.Unlock()

	var errs []error
	if err := l.server.Close(); err != nil {
		errs = append(errs, fmt.Errorf("natlab: TURN server: %w", err))
	}
	for _, c := range streams {
		_ = c.Close() // a stream Close never fails
	}
	if err := l.wan.Stop(); err != nil {
		errs = append(errs, fmt.Errorf("natlab: routers: %w", err))
	}
	return errors.Join(errs...)
}
