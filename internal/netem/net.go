package netem

import (
	"net"
	"sync"

	"github.com/pion/transport/v5"
)

// NetConfig configures a Net. The zero value impairs nothing (a transparent wrapper).
type NetConfig struct {
	Egress  LinkConfig // datagrams written by this Net's connections
	Ingress LinkConfig // datagrams read by this Net's connections
	Seed    uint64     // egress uses Seed, ingress a seed derived from it
	Clock   Clock      // nil: SystemClock
}

// Net is a pion transport.Net that sends the UDP traffic of the connections it creates
// (ListenUDP, ListenPacket "udp*", DialUDP, Dial "udp*") through two Links in real time: one
// for everything written, one for everything read; all connections share them, as they would
// share an access link. Payloads are charged UDPOverheadBytes more to the capacity. TCP,
// address resolution, interfaces, CreateDialer and CreateListenConfig pass through unimpaired.
//
// Safe for concurrent use. Close stops the delivery goroutine and closes every connection
// created through the Net; datagrams still in flight are dropped.
type Net struct {
	transport.Net // the wrapped network, for the methods passed through

	egress, ingress *lockedLink
	sched           *scheduler // delivers egress datagrams (and records their lateness)
	ingressLate     lateHist

	mu     sync.Mutex // guards the following
	conns  map[*udpConn]struct{}
	closed bool
}

var _ transport.Net = (*Net)(nil)

// ingressSeedMix derives the ingress (and proxy downlink) seed from the configured one.
const ingressSeedMix = 0x5bd1e9955bd1e995

// ReverseSeed is the seed a Net gives its ingress link (and a Proxy its downlink) when
// configured with seed: a bench that emulates both directions of a call seeds the reverse one
// with it to replay what a Net would do.
func ReverseSeed(seed uint64) uint64 { return seed ^ ingressSeedMix }

// NewNet wraps inner (for example stdnet.NewNet() or a vnet.Net).
func NewNet(inner transport.Net, cfg NetConfig) (*Net, error) {
	if inner == nil {
		return nil, configErr("inner", "nil transport.Net")
	}
	clock := cfg.Clock
	if clock == nil {
		clock = SystemClock{}
	}
	eg, err := NewLink(cfg.Egress, cfg.Seed)
	if err != nil {
		return nil, prefixField("Egress", err)
	}
	in, err := NewLink(cfg.Ingress, cfg.Seed^ingressSeedMix)
	if err != nil {
		return nil, prefixField("Ingress", err)
	}
	start := clock.Now()
	return &Net{
		Net:     inner,
		egress:  &lockedLink{link: eg, clock: clock, start: start},
		ingress: &lockedLink{link: in, clock: clock, start: start},
		sched:   newScheduler(clock),
		conns:   map[*udpConn]struct{}{},
	}, nil
}

// prefixField puts a parent field name in front of a config error's field.
func prefixField(parent string, err error) error {
	if fe, ok := err.(*fieldError); ok {
		c := *fe
		c.field = parent + "." + c.field
		return &c
	}
	return err
}

// EgressStats and IngressStats report the two links' counters.
func (n *Net) EgressStats() Stats  { return n.egress.stats() }
func (n *Net) IngressStats() Stats { return n.ingress.stats() }

// EgressLateness reports how late, relative to the link's verdicts, egress datagrams were
// handed to the wrapped connection: the latency this wrapper adds on this machine.
func (n *Net) EgressLateness() Lateness { return n.sched.late.summary() }

// IngressLateness reports how late ingress datagrams were returned by ReadFrom relative to the
// link's verdicts; it includes any time the application took to call ReadFrom.
func (n *Net) IngressLateness() Lateness { return n.ingressLate.summary() }

// Close stops delivery and closes every connection made through n. Idempotent.
func (n *Net) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	conns := make([]*udpConn, 0, len(n.conns))
	for c := range n.conns {
		conns = append(conns, c)
	}
	n.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	n.sched.close()
	return nil
}

func isUDP(network string) bool {
	return network == "udp" || network == "udp4" || network == "udp6"
}

// ListenUDP listens through the wrapped network and impairs the connection's traffic.
func (n *Net) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	return n.wrap(c, false)
}

// DialUDP dials through the wrapped network and impairs the connection's traffic.
func (n *Net) DialUDP(network string, laddr, raddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.DialUDP(network, laddr, raddr)
	if err != nil {
		return nil, err
	}
	return n.wrap(c, true)
}

// ListenPacket impairs UDP networks and passes others through.
func (n *Net) ListenPacket(network, address string) (net.PacketConn, error) {
	if !isUDP(network) {
		return n.Net.ListenPacket(network, address)
	}
	laddr, err := n.Net.ResolveUDPAddr(network, address)
	if err != nil {
		return nil, err
	}
	return n.ListenUDP(network, laddr)
}

// Dial impairs UDP networks and passes others through.
func (n *Net) Dial(network, address string) (net.Conn, error) {
	if !isUDP(network) {
		return n.Net.Dial(network, address)
	}
	raddr, err := n.Net.ResolveUDPAddr(network, address)
	if err != nil {
		return nil, err
	}
	c, err := n.DialUDP(network, nil, raddr)
	if err != nil {
		return nil, err
	}
	return c.(*udpConn), nil
}

func (n *Net) wrap(inner transport.UDPConn, connected bool) (*udpConn, error) {
	c := newUDPConn(n, inner, connected)
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		_ = inner.Close()
		return nil, &net.OpError{Op: "listen", Net: "udp", Err: ErrClosed}
	}
	n.conns[c] = struct{}{}
	n.mu.Unlock()
	c.start()
	return c, nil
}

func (n *Net) forget(c *udpConn) {
	n.mu.Lock()
	delete(n.conns, c)
	n.mu.Unlock()
}
