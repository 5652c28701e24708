package server

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-voice/parley/signaling"
	"github.com/parley-voice/parley/signaling/internal/wsread"
)

// conn is one WebSocket. The HTTP handler goroutine reads; a writer goroutine runs only
// while there is something to write (idle connections cost one goroutine, not two). A full
// write queue means a slow reader, which is disconnected.
type conn struct {
	srv *Server
	ws  *websocket.Conn
	ip  string

	done chan struct{} // closed by kill
	once sync.Once
	seen *atomic.Int64 // UnixNano of the last frame or ping received (real time)

	// mu guards the following.
	mu      sync.Mutex
	sess    *session // set after login; writers run only then
	wq      [][]byte
	wqBytes int
	bye     bool // send a reconnect frame, then close
	ackDue  bool // the session may owe the client an ack
	writing bool // a writer goroutine is running
}

func newConn(s *Server, ws *websocket.Conn, ip string, seen *atomic.Int64) *conn {
	seen.Store(time.Now().UnixNano())
	return &conn{srv: s, ws: ws, ip: ip, done: make(chan struct{}), seen: seen}
}

// watchIdle closes the connection once nothing arrived for ReadIdleTimeout: a timer, not a
// goroutine, re-armed for the time left whenever it finds the connection was active.
func (c *conn) watchIdle() {
	d := c.srv.cfg.ReadIdleTimeout
	if d <= 0 {
		return
	}
	var check func()
	var t *time.Timer
	var mu sync.Mutex
	check = func() {
		select {
		case <-c.done:
			return
		default:
		}
		left := d - time.Since(time.Unix(0, c.seen.Load()))
		if left > 0 {
			mu.Lock()
			t.Reset(left)
			mu.Unlock()
			return
		}
		c.srv.m.reject("read_idle")
		c.srv.log.Info("signaling: closing idle connection", "ip", c.ip)
		c.kill()
	}
	mu.Lock()
	t = time.AfterFunc(d, check)
	mu.Unlock() // after kill the timer fires once more and stops (it keeps no goroutine)
}

// writeNow writes f directly; only before the writer starts (login).
func (c *conn) writeNow(ctx context.Context, f *signaling.Frame) error {
	f.V = signaling.Version
	b, err := signaling.Encode(f)
	if err != nil {
		return err
	}
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		return err
	}
	c.srv.m.framesOut.Add(1)
	return nil
}

// push queues b for the writer. It reports false, and disconnects the client, when the queue
// is full: a reader that slow must not make us buffer without bound.
func (c *conn) push(b []byte) bool {
	select {
	case <-c.done:
		return false // already closing; the session keeps the frame if it is reliable
	default:
	}
	c.mu.Lock()
	if len(c.wq) >= c.srv.cfg.Limits.SendQueue || c.wqBytes+len(b) > c.srv.cfg.Limits.SendQueueBytes {
		c.mu.Unlock()
		c.srv.m.reject("slow_reader")
		c.srv.log.Info("signaling: slow reader disconnected", "ip", c.ip)
		c.kill()
		return false
	}
	c.wq = append(c.wq, b)
	c.wqBytes += len(b)
	c.startWriterLocked()
	c.mu.Unlock()
	return true
}

// poke makes sure a writer runs to drain the queue and send a due ack.
func (c *conn) poke() {
	c.mu.Lock()
	c.ackDue = true
	c.startWriterLocked()
	c.mu.Unlock()
}

func (c *conn) startWriterLocked() {
	if c.sess == nil || c.writing {
		return
	}
	select {
	case <-c.done:
		return
	default:
	}
	c.writing = true
	c.srv.wg.Add(1) // the connection's handler holds the group open, so this never races Wait
	go c.writeLoop()
}

// kill closes the connection at once; idempotent.
func (c *conn) kill() {
	c.once.Do(func() {
		close(c.done)
		_ = c.ws.CloseNow()
	})
}

// reconnect asks the writer to tell the client to reconnect and close (graceful shutdown).
// Before login it just closes.
func (c *conn) reconnect() {
	c.mu.Lock()
	if c.sess == nil {
		c.mu.Unlock()
		c.kill()
		return
	}
	c.bye = true
	c.startWriterLocked()
	c.mu.Unlock()
}

// startWriter marks the login done and drains what attach queued.
func (c *conn) startWriter(sess *session) {
	c.mu.Lock()
	c.sess = sess
	c.startWriterLocked()
	c.mu.Unlock()
}

func (c *conn) writeLoop() {
	defer c.srv.wg.Done()
	for {
		c.mu.Lock()
		batch, bye, ackDue := c.wq, c.bye, c.ackDue
		c.wq, c.wqBytes, c.ackDue = nil, 0, false
		if len(batch) == 0 && !bye && !ackDue {
			c.writing = false
			c.mu.Unlock()
			return
		}
		sess := c.sess
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), c.srv.cfg.WriteTimeout)
		ok := true
		for _, b := range batch {
			if ok = c.write(ctx, b); !ok {
				break
			}
		}
		if ack := sess.ackDue(); ok && ack != nil {
			ok = c.write(ctx, ack)
		}
		cancel()
		if !ok {
			c.stopWriting()
			return
		}
		if bye {
			b, _ := signaling.Encode(&signaling.Frame{V: signaling.Version, Type: signaling.TypeReconnect})
			ctx, cancel := context.WithTimeout(context.Background(), c.srv.cfg.WriteTimeout)
			c.write(ctx, b)
			cancel()
			_ = c.ws.Close(websocket.StatusServiceRestart, "reconnect")
			c.kill()
			c.stopWriting()
			return
		}
	}
}

func (c *conn) stopWriting() {
	c.mu.Lock()
	c.writing = false
	c.wq, c.wqBytes = nil, 0
	c.mu.Unlock()
}

// write writes one message; a failure (or ctx's deadline, a stuck reader) closes the conn.
func (c *conn) write(ctx context.Context, b []byte) bool {
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.kill()
		return false
	}
	c.srv.m.framesOut.Add(1)
	return true
}

// readLoop reads and dispatches frames until the connection ends, then detaches the session.
func (c *conn) readLoop(sess *session) {
	defer func() { sess.detach(c) }()
	bad := 0
	ctx := context.Background()
	for {
		typ, b, err := wsread.Read(ctx, c.ws)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
				sess.setClosedByClient()
			}
			return
		}
		c.srv.m.framesIn.Add(1)
		c.seen.Store(time.Now().UnixNano())
		var f *signaling.Frame
		if typ != websocket.MessageText {
			err = errors.New("signaling: binary frame")
		} else {
			f, err = signaling.Decode(*b) // copies what it keeps
		}
		wsread.Put(b)
		if err != nil {
			bad++
			c.srv.m.reject("bad_frame")
			if bad > c.srv.cfg.Limits.MaxBadFrames {
				c.srv.log.Info("signaling: closing abusive connection", "ip", c.ip, "user", sess.ue.name)
				_ = c.ws.Close(websocket.StatusPolicyViolation, "too many bad frames")
				return
			}
			sess.sendUnreliable(errorFrame(err, nil))
			continue
		}
		start := time.Now()
		sess.handle(f)
		c.srv.m.handling.observe(time.Since(start))
	}
}
