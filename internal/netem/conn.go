package netem

import (
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/deadline"
)

// inboxLimit bounds datagrams in flight on the ingress link or waiting to be read, like a
// socket receive buffer; more are dropped.
const inboxLimit = 4096

// maxReadFailures consecutive read errors end a connection's reads.
const maxReadFailures = 1000

// udpConn is a UDP connection whose traffic goes through a Net's links. Writes go through the
// egress link and the Net's scheduler; a goroutine reads the inner connection into an inbox of
// datagrams stamped with their ingress due times, which ReadFrom waits for. Safe for
// concurrent use.
type udpConn struct {
	n         *Net
	inner     transport.UDPConn
	connected bool // inner is connected: write with Write, not WriteTo
	readDL    *deadline.Deadline
	notify    chan struct{} // signalled when the inbox gains a datagram
	closing   chan struct{}
	readerWG  sync.WaitGroup
	closeOnce sync.Once

	mu      sync.Mutex // guards the following
	inbox   []pending
	closed  bool
	readErr error
}

var _ transport.UDPConn = (*udpConn)(nil)

func newUDPConn(n *Net, inner transport.UDPConn, connected bool) *udpConn {
	return &udpConn{n: n, inner: inner, connected: connected, readDL: deadline.New(),
		notify: make(chan struct{}, 1), closing: make(chan struct{})}
}

func (c *udpConn) start() {
	c.readerWG.Add(1)
	go c.readLoop()
}

// readLoop reads the inner connection and passes every datagram through the ingress link into
// the inbox, stamped with its due time. Readers wait for the due time themselves (one wake-up
// per datagram, as on a plain socket, rather than a hand-off through the scheduler).
func (c *udpConn) readLoop() {
	defer c.readerWG.Done()
	failures := 0
	scratch := make([]byte, maxDatagram)
	for {
		n, addr, err := c.inner.ReadFrom(scratch)
		if err != nil {
			select {
			case <-c.closing:
				return
			default:
			}
			// Transient errors (ICMP port unreachable on a connected socket) are skipped; a
			// closed inner connection (vnet says so only in words) or an endless run of
			// errors ends the connection's reads.
			failures++
			if errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "closed") || failures > maxReadFailures {
				c.fail(err)
				return
			}
			continue
		}
		failures = 0
		link := c.n.ingress
		_, dv := link.send(n)
		if dv.Dropped {
			continue
		}
		if dv.Dup {
			c.enqueue(pending{due: link.start.Add(dv.DupAt), buf: copyBuf(scratch[:n]), n: n, addr: addr})
		}
		c.enqueue(pending{due: link.start.Add(dv.At), buf: copyBuf(scratch[:n]), n: n, addr: addr})
	}
}

// enqueue inserts a datagram into the inbox in due-time order (FIFO among equal times).
func (c *udpConn) enqueue(p pending) {
	c.mu.Lock()
	if c.closed || len(c.inbox) >= inboxLimit {
		c.mu.Unlock()
		putBuf(p.buf)
		return
	}
	i := len(c.inbox)
	for i > 0 && c.inbox[i-1].due.After(p.due) {
		i--
	}
	c.inbox = slices.Insert(c.inbox, i, p)
	c.mu.Unlock()
	c.signal()
}

func (c *udpConn) fail(err error) {
	c.mu.Lock()
	if c.readErr == nil {
		c.readErr = err
	}
	c.mu.Unlock()
	c.signal()
}

func (c *udpConn) signal() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// egressSink writes egress datagrams to the inner connection.
type egressSink udpConn

func (s *egressSink) deliver(buf *[]byte, n int, addr net.Addr) {
	c := (*udpConn)(s)
	if c.connected {
		_, _ = c.inner.Write((*buf)[:n])
	} else {
		_, _ = c.inner.WriteTo((*buf)[:n], addr)
	}
	putBuf(buf)
}

// ReadFrom returns the next datagram delivered by the ingress link, waiting until its due
// time (precisely, with the system clock), a read deadline, or Close.
func (c *udpConn) ReadFrom(p []byte) (int, net.Addr, error) {
	clock := c.n.ingress.clock
	precise, _ := clock.(preciseWaiter)
	var timer Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		var timerC <-chan time.Time
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return 0, nil, &net.OpError{Op: "read", Net: "udp", Addr: c.inner.LocalAddr(), Err: net.ErrClosed}
		}
		if len(c.inbox) > 0 {
			due := c.inbox[0].due
			now := clock.Now()
			if !due.After(now) {
				d := c.inbox[0]
				c.inbox[0] = pending{}
				c.inbox = c.inbox[1:]
				more := len(c.inbox) > 0
				c.mu.Unlock()
				if more {
					c.signal() // another reader may be waiting
				}
				n := copy(p, (*d.buf)[:d.n])
				putBuf(d.buf)
				c.n.ingressLate.add(clock.Now().Sub(d.due))
				return n, d.addr, nil
			}
			c.mu.Unlock()
			wait, waited := timerWait(precise, due, now)
			if waited {
				continue
			}
			if timer == nil {
				timer = clock.NewTimer(wait)
			} else {
				timer.Stop()
				select {
				case <-timer.C():
				default:
				}
				timer.Reset(wait)
			}
			timerC = timer.C()
		} else {
			err := c.readErr
			c.mu.Unlock()
			if err != nil {
				return 0, nil, err
			}
		}
		select {
		case <-timerC:
		case <-c.notify:
		case <-c.readDL.Done():
			return 0, nil, &net.OpError{Op: "read", Net: "udp", Addr: c.inner.LocalAddr(), Err: os.ErrDeadlineExceeded}
		case <-c.closing:
		}
	}
}

// WriteTo sends p through the egress link; it never blocks and, like UDP, reports success
// for a datagram the link then drops.
func (c *udpConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	select {
	case <-c.closing:
		return 0, &net.OpError{Op: "write", Net: "udp", Addr: addr, Err: net.ErrClosed}
	default:
	}
	if len(p) > maxDatagram {
		return 0, &net.OpError{Op: "write", Net: "udp", Addr: addr, Err: errors.New("netem: datagram too large")}
	}
	if c.connected && addr == nil {
		addr = c.inner.RemoteAddr()
	}
	transmit(c.n.egress, c.n.sched, copyBuf(p), len(p), addr, (*egressSink)(c))
	return len(p), nil
}

func (c *udpConn) Read(b []byte) (int, error) {
	n, _, err := c.ReadFrom(b)
	return n, err
}

func (c *udpConn) Write(b []byte) (int, error) {
	if !c.connected {
		return 0, &net.OpError{Op: "write", Net: "udp", Err: errors.New("netem: Write on an unconnected socket")}
	}
	return c.WriteTo(b, nil)
}

func (c *udpConn) ReadFromUDP(b []byte) (int, *net.UDPAddr, error) {
	n, addr, err := c.ReadFrom(b)
	ua, _ := addr.(*net.UDPAddr)
	return n, ua, err
}

func (c *udpConn) ReadMsgUDP(b, _ []byte) (n, oobn, flags int, addr *net.UDPAddr, err error) {
	n, addr, err = c.ReadFromUDP(b)
	return n, 0, 0, addr, err
}

func (c *udpConn) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	return c.WriteTo(b, addr)
}

func (c *udpConn) WriteMsgUDP(b, _ []byte, addr *net.UDPAddr) (n, oobn int, err error) {
	if addr == nil {
		n, err = c.Write(b)
	} else {
		n, err = c.WriteTo(b, addr)
	}
	return n, 0, err
}

// Close closes the inner connection and waits for the reader goroutine. Idempotent.
func (c *udpConn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.closing)
		err = c.inner.Close()
		c.readerWG.Wait()
		c.readDL.Set(time.Time{}) // stops its timer
		c.mu.Lock()
		c.closed = true
		for _, d := range c.inbox {
			putBuf(d.buf)
		}
		c.inbox = nil
		c.mu.Unlock()
		c.n.forget(c)
	})
	return err
}

func (c *udpConn) LocalAddr() net.Addr  { return c.inner.LocalAddr() }
func (c *udpConn) RemoteAddr() net.Addr { return c.inner.RemoteAddr() }

func (c *udpConn) SetDeadline(t time.Time) error {
	c.readDL.Set(t)
	return c.inner.SetWriteDeadline(t)
}

func (c *udpConn) SetReadDeadline(t time.Time) error {
	c.readDL.Set(t)
	return nil
}

func (c *udpConn) SetWriteDeadline(t time.Time) error { return c.inner.SetWriteDeadline(t) }
func (c *udpConn) SetReadBuffer(n int) error          { return c.inner.SetReadBuffer(n) }
func (c *udpConn) SetWriteBuffer(n int) error         { return c.inner.SetWriteBuffer(n) }
