package natlab

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/vnet"
)

// This file emulates the one TCP path vnet lacks: a peer's stream to the TURN
// server's TCP listener (see the package doc).

// streamConn is one end of an in-memory stream dressed as a TCP connection.
// Safe for concurrent use.
type streamConn struct {
	*pipeEnd
	local, remote *net.TCPAddr
}

var _ transport.TCPConn = (*streamConn)(nil)

// LocalAddr returns the emulated TCP address of this end.
func (c *streamConn) LocalAddr() net.Addr { return c.local }

// RemoteAddr returns the emulated TCP address of the other end.
func (c *streamConn) RemoteAddr() net.Addr { return c.remote }

// CloseRead is not supported on an emulated stream; use Close.
func (c *streamConn) CloseRead() error { return transport.ErrNotSupported }

// CloseWrite is not supported on an emulated stream; use Close.
func (c *streamConn) CloseWrite() error { return transport.ErrNotSupported }

// ReadFrom copies r into the stream until EOF.
func (c *streamConn) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(struct{ io.Writer }{c.pipeEnd}, r)
}

// SetLinger is accepted and ignored: the stream has no kernel buffer.
func (c *streamConn) SetLinger(int) error { return nil }

// SetKeepAlive is accepted and ignored.
func (c *streamConn) SetKeepAlive(bool) error { return nil }

// SetKeepAlivePeriod is accepted and ignored.
func (c *streamConn) SetKeepAlivePeriod(time.Duration) error { return nil }

// SetNoDelay is accepted and ignored: writes are always delivered at once.
func (c *streamConn) SetNoDelay(bool) error { return nil }

// SetWriteBuffer is accepted and ignored.
func (c *streamConn) SetWriteBuffer(int) error { return nil }

// SetReadBuffer is accepted and ignored.
func (c *streamConn) SetReadBuffer(int) error { return nil }

// streamListener is the TURN server's TCP listener: Accept returns the
// server ends of streams created by dial.
type streamListener struct {
	addr      *net.TCPAddr
	accept    chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func newStreamListener(addr *net.TCPAddr) *streamListener {
	return &streamListener{addr: addr, accept: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for the next stream or for Close (then net.ErrClosed).
func (l *streamListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.accept:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops Accept. Streams already accepted stay open. Idempotent.
func (l *streamListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

// Addr returns the listener's TCP address.
func (l *streamListener) Addr() net.Addr { return l.addr }

// dial creates a stream from a client at local (as the client sees itself)
// and public (as the server sees it, after NAT) and hands the server end to
// Accept. It blocks until accepted or the listener is closed.
func (l *streamListener) dial(local, public *net.TCPAddr) (*streamConn, *streamConn, error) {
	a, b := newStream()
	client := &streamConn{pipeEnd: a, local: local, remote: l.addr}
	server := &streamConn{pipeEnd: b, local: l.addr, remote: public}
	select {
	case l.accept <- server:
		return client, server, nil
	case <-l.done:
		_ = a.Close()
		_ = b.Close()
		return nil, nil, ErrClosed
	}
}

// peerNet is a peer's transport.Net: vnet for UDP, plus the emulated stream
// to the TURN server for TCP.
type peerNet struct {
	*vnet.Net
	lab  *Lab
	peer *Peer
}

var _ transport.Net = (*peerNet)(nil)

// DialTCP connects to the TURN server's TCP address; any other destination
// fails with ErrNoTCPRoute. laddr is ignored (an ephemeral port is chosen).
func (n *peerNet) DialTCP(network string, _, raddr *net.TCPAddr) (transport.TCPConn, error) {
	if network != "tcp" && network != "tcp4" {
		return nil, fmt.Errorf("%w: network %q", ErrNoTCPRoute, network)
	}
	if raddr == nil || !raddr.IP.Equal(n.lab.serverIP) || raddr.Port != TURNPort {
		return nil, fmt.Errorf("%w: %v", ErrNoTCPRoute, raddr)
	}
	return n.lab.dialStream(n.peer)
}

// Dial dials TCP through DialTCP and everything else through vnet.
func (n *peerNet) Dial(network, address string) (net.Conn, error) {
	if !strings.HasPrefix(network, "tcp") {
		return n.Net.Dial(network, address)
	}
	raddr, err := n.ResolveTCPAddr(network, address)
	if err != nil {
		return nil, err
	}
	return n.DialTCP(network, nil, raddr)
}

// CreateDialer returns a dialer that dials through n (vnet's own dialer would
// bypass the TCP emulation).
func (n *peerNet) CreateDialer(*net.Dialer) transport.Dialer { return n }
