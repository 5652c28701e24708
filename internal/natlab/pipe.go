package natlab

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// pipe is one direction of an in-memory byte stream with an unbounded
// buffer, so a write never waits for the reader. net.Pipe is synchronous
// and deadlocks pion's TURN client and server, which each may write while
// their own reader waits on a lock the writer holds.
type pipe struct {
	mu       sync.Mutex
	buf      []byte
	eof      bool          // writer closed: reads drain buf, then io.EOF
	closed   bool          // reader closed: reads fail with net.ErrClosed
	deadline time.Time     // read deadline; zero means none
	wake     chan struct{} // capacity 1: something above changed
}

func newPipe() *pipe { return &pipe{wake: make(chan struct{}, 1)} }

// signalLocked wakes a waiting reader. Caller holds p.mu.
func (p *pipe) signalLocked() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// read blocks until data, EOF, close or the read deadline.
func (p *pipe) read(b []byte) (int, error) {
	for {
		p.mu.Lock()
		switch {
		case p.closed:
			p.mu.Unlock()
			return 0, net.ErrClosed
		case len(p.buf) > 0:
			n := copy(b, p.buf)
			p.buf = p.buf[n:]
			p.mu.Unlock()
			return n, nil
		case p.eof:
			p.mu.Unlock()
			return 0, io.EOF
		}
		deadline := p.deadline
		p.mu.Unlock()

		if deadline.IsZero() {
			<-p.wake
			continue
		}
		d := time.Until(deadline)
		if d <= 0 {
			return 0, os.ErrDeadlineExceeded
		}
		t := time.NewTimer(d)
		select {
		case <-p.wake:
			t.Stop()
		case <-t.C:
			return 0, os.ErrDeadlineExceeded
		}
	}
}

// write appends b for the reader; it fails once either side has closed.
func (p *pipe) write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.eof || p.closed {
		return 0, io.ErrClosedPipe
	}
	p.buf = append(p.buf, b...)
	p.signalLocked()
	return len(b), nil
}

func (p *pipe) setDeadline(t time.Time) {
	p.mu.Lock()
	p.deadline = t
	p.signalLocked()
	p.mu.Unlock()
}

// closeWrite marks the writer gone; closeRead the reader.
func (p *pipe) closeWrite() { p.mu.Lock(); p.eof = true; p.signalLocked(); p.mu.Unlock() }
func (p *pipe) closeRead() {
	p.mu.Lock()
	p.closed = true
	p.buf = nil
	p.signalLocked()
	p.mu.Unlock()
}

// pipeEnd is one end of a bidirectional stream: it reads rx, writes tx.
// Safe for concurrent use. Addresses are supplied by the wrapping
// streamConn.
type pipeEnd struct {
	rx, tx    *pipe
	closeOnce sync.Once
}

// newStream returns the two connected ends of a buffered stream.
func newStream() (*pipeEnd, *pipeEnd) {
	ab, ba := newPipe(), newPipe()
	return &pipeEnd{rx: ba, tx: ab}, &pipeEnd{rx: ab, tx: ba}
}

func (e *pipeEnd) Read(b []byte) (int, error)  { return e.rx.read(b) }
func (e *pipeEnd) Write(b []byte) (int, error) { return e.tx.write(b) }

// Close ends both directions: the other end reads EOF after the buffered
// data, and its writes fail. Idempotent.
func (e *pipeEnd) Close() error {
	e.closeOnce.Do(func() {
		e.tx.closeWrite()
		e.rx.closeRead()
	})
	return nil
}

func (e *pipeEnd) SetDeadline(t time.Time) error     { e.rx.setDeadline(t); return nil }
func (e *pipeEnd) SetReadDeadline(t time.Time) error { e.rx.setDeadline(t); return nil }

// SetWriteDeadline is accepted and ignored: writes never block.
func (e *pipeEnd) SetWriteDeadline(time.Time) error { return nil }
