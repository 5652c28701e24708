package netem

import (
	"container/heap"
	"net"
	"sync"
	"time"
)

// maxDatagram is the largest UDP payload the real-time faces carry.
const maxDatagram = 64 << 10

// UDPOverheadBytes is added to every UDP payload when it is charged to a Link's capacity:
// the IPv4 and UDP headers a real bottleneck also carries.
const UDPOverheadBytes = 28

// smallDatagram is the size class that holds nearly all real traffic (MTU-sized or less).
const smallDatagram = 2048

// Buffer pools for datagrams in flight, in two size classes so that thousands of small packets
// queued on a long link do not each pin 64 KiB.
var (
	smallPool = sync.Pool{New: func() any { b := make([]byte, smallDatagram); return &b }}
	largePool = sync.Pool{New: func() any { b := make([]byte, maxDatagram); return &b }}
)

// getBuf returns a pooled buffer of at least n bytes (n ≤ maxDatagram).
func getBuf(n int) *[]byte {
	if n <= smallDatagram {
		return smallPool.Get().(*[]byte)
	}
	return largePool.Get().(*[]byte)
}

// putBuf returns a buffer from getBuf to its pool.
func putBuf(b *[]byte) {
	if cap(*b) == smallDatagram {
		smallPool.Put(b)
	} else {
		largePool.Put(b)
	}
}

// copyBuf copies p into a pooled buffer.
func copyBuf(p []byte) *[]byte {
	b := getBuf(len(p))
	copy(*b, p)
	return b
}

// sink receives a datagram when its delivery time comes. It owns buf afterwards and must
// return it with putBuf.
type sink interface {
	deliver(buf *[]byte, n int, addr net.Addr)
}

type pending struct {
	due  time.Time
	seq  uint64
	buf  *[]byte
	n    int
	addr net.Addr
	dst  sink
}

type pendingHeap []pending

func (h pendingHeap) Len() int { return len(h) }
func (h pendingHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].seq < h[j].seq
	}
	return h[i].due.Before(h[j].due)
}
func (h pendingHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pendingHeap) Push(x any)   { *h = append(*h, x.(pending)) }
func (h *pendingHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = pending{}
	*h = old[:len(old)-1]
	return p
}

// scheduler delivers datagrams at their due times from one goroutine. It sleeps on a timer
// until coarseMargin before the earliest due time, then (with the system clock) waits
// precisely; new earlier datagrams wake it.
type scheduler struct {
	clock Clock
	wake  chan struct{}
	done  chan struct{}
	wg    sync.WaitGroup

	late lateHist // lateness of every delivery

	mu     sync.Mutex // guards the following
	h      pendingHeap
	seq    uint64
	closed bool
}

func newScheduler(clock Clock) *scheduler {
	s := &scheduler{clock: clock, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.wg.Add(1)
	go s.run()
	return s
}

// schedule queues buf (ownership passes to the scheduler) for delivery to dst at due.
func (s *scheduler) schedule(due time.Time, buf *[]byte, n int, addr net.Addr, dst sink) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		putBuf(buf)
		return
	}
	s.seq++
	heap.Push(&s.h, pending{due: due, seq: s.seq, buf: buf, n: n, addr: addr, dst: dst})
	first := s.h[0].seq == s.seq
	s.mu.Unlock()
	if first {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

func (s *scheduler) run() {
	defer s.wg.Done()
	precise, _ := s.clock.(preciseWaiter)
	timer := s.clock.NewTimer(time.Hour)
	timer.Stop()
	var batch []pending
	for {
		select {
		case <-s.done:
			return
		default:
		}
		s.mu.Lock()
		if len(s.h) == 0 {
			s.mu.Unlock()
			select {
			case <-s.wake:
				continue
			case <-s.done:
				return
			}
		}
		now := s.clock.Now()
		due := s.h[0].due
		if !due.After(now) {
			batch = batch[:0]
			for len(s.h) > 0 && !s.h[0].due.After(now) {
				batch = append(batch, heap.Pop(&s.h).(pending))
			}
			s.mu.Unlock()
			for i := range batch {
				p := &batch[i]
				s.late.add(s.clock.Now().Sub(p.due))
				p.dst.deliver(p.buf, p.n, p.addr)
				*p = pending{}
			}
			continue
		}
		s.mu.Unlock()
		wait, waited := timerWait(precise, due, now)
		if waited {
			continue
		}
		timer.Reset(wait)
		select {
		case <-timer.C():
		case <-s.wake:
			if !timer.Stop() {
				select {
				case <-timer.C():
				default:
				}
			}
		case <-s.done:
			timer.Stop()
			return
		}
	}
}

// close stops the goroutine and drops everything still pending.
func (s *scheduler) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	close(s.done)
	s.wg.Wait()
	s.mu.Lock()
	for _, p := range s.h {
		putBuf(p.buf)
	}
	s.h = nil
	s.mu.Unlock()
}

// lockedLink is a Link shared by goroutines, in virtual time measured from start on clock.
type lockedLink struct {
	mu    sync.Mutex
	link  *Link
	clock Clock
	start time.Time
}

// send offers a datagram of n payload bytes now and returns its delivery in wall time.
func (l *lockedLink) send(n int) (now time.Time, dv Delivery) {
	l.mu.Lock()
	now = l.clock.Now()
	dv = l.link.Send(now.Sub(l.start), n+UDPOverheadBytes)
	l.mu.Unlock()
	return now, dv
}

func (l *lockedLink) stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.link.Stats()
}

// transmit passes one datagram (in buf, owned) through link to dst via sched: dropped,
// delivered inline when due at once, or scheduled (with a copy for a duplicate).
func transmit(link *lockedLink, sched *scheduler, buf *[]byte, n int, addr net.Addr, dst sink) {
	now, dv := link.send(n)
	if dv.Dropped {
		putBuf(buf)
		return
	}
	if dv.Dup {
		dup := copyBuf((*buf)[:n])
		sched.schedule(link.start.Add(dv.DupAt), dup, n, addr, dst)
	}
	due := link.start.Add(dv.At)
	if !due.After(now) && !dv.Dup {
		dst.deliver(buf, n, addr)
		return
	}
	sched.schedule(due, buf, n, addr, dst)
}
