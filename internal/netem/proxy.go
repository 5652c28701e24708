package netem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// ProxyConfig configures a Proxy. Listen and To are required.
type ProxyConfig struct {
	Listen string     // UDP address to listen on, e.g. "127.0.0.1:3478" (port 0: any free port)
	To     string     // UDP address every client's traffic is forwarded to
	Up     LinkConfig // client → To
	Down   LinkConfig // To → client
	Seed   uint64     // Up uses Seed, Down a seed derived from it
	Clock  Clock      // nil: SystemClock

	// StatsEvery is the period of the stats lines written to StatsOut; zero means one second.
	// A nil StatsOut writes none.
	StatsEvery time.Duration
	StatsOut   io.Writer

	// IdleTimeout forgets a client (and closes its upstream socket) after this long without
	// traffic either way; zero means two minutes.
	IdleTimeout time.Duration
}

// ProxyStats are the counters of both directions, the number of client sessions, and how late
// (relative to the links' verdicts) datagrams were sent on.
type ProxyStats struct {
	Up, Down Stats
	Sessions int
	Lateness Lateness
}

// Proxy is a UDP proxy impairing traffic between clients and one upstream address: for each
// client address it opens its own upstream socket, so replies find their way back. Both
// directions go through their own Link (shared by all clients, as an access link would be).
// Safe for concurrent use; Run may be called once.
type Proxy struct {
	cfg      ProxyConfig
	ln       *net.UDPConn
	to       *net.UDPAddr
	up, down *lockedLink
	sched    *scheduler

	mu       sync.Mutex // guards the following
	sessions map[string]*session
	closed   bool
	wg       sync.WaitGroup // session readers
}

// sockBuffer is the receive buffer asked for on the proxy's sockets, so that bursts wait in the
// emulated queue (where they belong) rather than overflow the kernel's.
const sockBuffer = 4 << 20

// maxSessions bounds the client sessions (each holds a socket and a goroutine).
const maxSessions = 1024

var errTooManySessions = errors.New("netem: too many proxy sessions")

type session struct {
	p        *Proxy
	client   *net.UDPAddr
	upstream *net.UDPConn
	lastSeen time.Time // guarded by p.mu
}

// NewProxy validates cfg and binds the listening socket.
func NewProxy(cfg ProxyConfig) (*Proxy, error) {
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.StatsEvery <= 0 {
		cfg.StatsEvery = time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 2 * time.Minute
	}
	laddr, err := net.ResolveUDPAddr("udp", cfg.Listen)
	if err != nil || cfg.Listen == "" {
		return nil, configErr("Listen", "bad UDP address %q", cfg.Listen)
	}
	to, err := net.ResolveUDPAddr("udp", cfg.To)
	if err != nil || cfg.To == "" || to.Port == 0 {
		return nil, configErr("To", "bad UDP address %q", cfg.To)
	}
	up, err := NewLink(cfg.Up, cfg.Seed)
	if err != nil {
		return nil, prefixField("Up", err)
	}
	down, err := NewLink(cfg.Down, cfg.Seed^ingressSeedMix)
	if err != nil {
		return nil, prefixField("Down", err)
	}
	ln, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, fmt.Errorf("netem: listen: %w", err)
	}
	_ = ln.SetReadBuffer(sockBuffer) // absorb client bursts; best effort
	start := cfg.Clock.Now()
	return &Proxy{
		cfg: cfg, ln: ln, to: to,
		up:       &lockedLink{link: up, clock: cfg.Clock, start: start},
		down:     &lockedLink{link: down, clock: cfg.Clock, start: start},
		sched:    newScheduler(cfg.Clock),
		sessions: map[string]*session{},
	}, nil
}

// Addr is the address the proxy listens on.
func (p *Proxy) Addr() net.Addr { return p.ln.LocalAddr() }

// Stats returns the counters so far.
func (p *Proxy) Stats() ProxyStats {
	p.mu.Lock()
	n := len(p.sessions)
	p.mu.Unlock()
	return ProxyStats{Up: p.up.stats(), Down: p.down.stats(), Sessions: n, Lateness: p.sched.late.summary()}
}

// Run forwards traffic until ctx is done, then closes every socket, stops every goroutine and
// returns nil (or the error that stopped the listener).
func (p *Proxy) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- p.readClients() }()
	ticker := time.NewTicker(p.cfg.StatsEvery)
	defer ticker.Stop()
	var prev ProxyStats
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-errc:
			runErr = err
			errc = nil
			break loop
		case <-ticker.C:
			cur := p.Stats()
			if p.cfg.StatsOut != nil {
				fmt.Fprintln(p.cfg.StatsOut, statsLine(prev, cur, p.cfg.StatsEvery))
			}
			prev = cur
			p.expire()
		}
	}
	p.close()
	if errc != nil {
		<-errc
	}
	return runErr
}

// statsLine summarises one stats period.
func statsLine(prev, cur ProxyStats, every time.Duration) string {
	dir := func(a, b Stats) string {
		sent, dl := b.Sent-a.Sent, b.Delivered-a.Delivered
		var meanDelay time.Duration
		if dl > 0 {
			meanDelay = (b.TotalDelay - a.TotalDelay) / time.Duration(dl)
		}
		return fmt.Sprintf("%d pkt in, %d out, %.1f kbit/s, drop loss %d queue %d outage %d, delay %.1f ms",
			sent, dl, float64(b.DeliveredBytes-a.DeliveredBytes)*8/every.Seconds()/1e3,
			b.Lost-a.Lost, b.QueueDrops-a.QueueDrops, b.OutageDrops-a.OutageDrops, meanDelay.Seconds()*1e3)
	}
	return fmt.Sprintf("netem: %d sessions | up: %s | down: %s | emulator lateness p99 %v",
		cur.Sessions, dir(prev.Up, cur.Up), dir(prev.Down, cur.Down), cur.Lateness.P99)
}

// readClients reads datagrams from clients and sends them upstream through the Up link.
func (p *Proxy) readClients() error {
	scratch := make([]byte, maxDatagram)
	for {
		n, from, err := p.ln.ReadFromUDP(scratch)
		if err != nil {
			p.mu.Lock()
			closed := p.closed
			p.mu.Unlock()
			if closed {
				return nil
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return fmt.Errorf("netem: proxy read: %w", err)
		}
		s, err := p.session(from)
		if err != nil {
			continue // closing, or no socket available: drop like a full NAT table
		}
		transmit(p.up, p.sched, copyBuf(scratch[:n]), n, nil, s)
	}
}

// session returns the client's session, creating it (and its upstream socket) if needed.
func (p *Proxy) session(from *net.UDPAddr) (*session, error) {
	key := from.String()
	now := p.cfg.Clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	if s, ok := p.sessions[key]; ok {
		s.lastSeen = now
		return s, nil
	}
	if len(p.sessions) >= maxSessions {
		return nil, errTooManySessions
	}
	up, err := net.DialUDP("udp", nil, p.to)
	if err != nil {
		return nil, err
	}
	_ = up.SetReadBuffer(sockBuffer)
	s := &session{p: p, client: from, upstream: up, lastSeen: now}
	p.sessions[key] = s
	p.wg.Add(1)
	go s.readUpstream()
	return s, nil
}

// deliver writes a client datagram upstream (the session is the Up link's sink).
func (s *session) deliver(buf *[]byte, n int, _ net.Addr) {
	_, _ = s.upstream.Write((*buf)[:n])
	putBuf(buf)
}

// downSink writes upstream replies to the client.
type downSink session

func (d *downSink) deliver(buf *[]byte, n int, _ net.Addr) {
	_, _ = d.p.ln.WriteToUDP((*buf)[:n], d.client)
	putBuf(buf)
}

func (s *session) readUpstream() {
	defer s.p.wg.Done()
	scratch := make([]byte, maxDatagram)
	for {
		n, err := s.upstream.Read(scratch)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // e.g. ICMP port unreachable while the upstream is not up yet
		}
		s.p.mu.Lock()
		s.lastSeen = s.p.cfg.Clock.Now()
		s.p.mu.Unlock()
		transmit(s.p.down, s.p.sched, copyBuf(scratch[:n]), n, nil, (*downSink)(s))
	}
}

// expire closes sessions idle for longer than IdleTimeout.
func (p *Proxy) expire() {
	now := p.cfg.Clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, s := range p.sessions {
		if now.Sub(s.lastSeen) > p.cfg.IdleTimeout {
			_ = s.upstream.Close()
			delete(p.sessions, k)
		}
	}
}

// Close releases the sockets of a proxy that will not Run (Run closes by itself). Idempotent.
func (p *Proxy) Close() error {
	p.close()
	return nil
}

func (p *Proxy) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	for k, s := range p.sessions {
		_ = s.upstream.Close()
		delete(p.sessions, k)
	}
	p.mu.Unlock()
	_ = p.ln.Close()
	p.wg.Wait()
	p.sched.close()
}
