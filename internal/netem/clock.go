package netem

import "time"

// Clock is the time source of the real-time faces (Net, Proxy). Tests inject a fake one; nil
// means SystemClock. Implementations must be safe for concurrent use.
type Clock interface {
	Now() time.Time
	// NewTimer returns a stopped-or-running timer that fires once after d.
	NewTimer(d time.Duration) Timer
}

// Timer is the subset of *time.Timer the real-time faces use.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
	Reset(d time.Duration) bool
}

// SystemClock is the wall clock. Besides Clock it offers a precise short wait, which the
// delivery scheduler uses for the last stretch before a deadline: Go timers on Linux can fire
// a millisecond late, far above the tens of microseconds a link emulator may add.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer wraps time.NewTimer.
func (SystemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

type sysTimer struct{ t *time.Timer }

func (s sysTimer) C() <-chan time.Time        { return s.t.C }
func (s sysTimer) Stop() bool                 { return s.t.Stop() }
func (s sysTimer) Reset(d time.Duration) bool { return s.t.Reset(d) }

// preciseWaiter is implemented by clocks that can block until a near deadline with better
// accuracy than their timers.
type preciseWaiter interface {
	waitUntil(t time.Time)
}

// timerWait is how long to sleep on a timer before a delivery due at due. With a precise
// waiter and the deadline within coarseMargin, it waits precisely until due itself and reports
// waited, and the caller re-checks its queue.
func timerWait(precise preciseWaiter, due, now time.Time) (wait time.Duration, waited bool) {
	wait = due.Sub(now)
	if precise == nil {
		return wait, false
	}
	if wait <= coarseMargin {
		precise.waitUntil(due)
		return 0, true
	}
	return wait - coarseMargin, false
}

// coarseMargin is how far ahead of a deadline the scheduler stops using timers and switches to
// the precise wait (Go timers, resolved through epoll in whole milliseconds, were seen firing
// more than 2 ms late at p99 on a busy VM); spinMargin is how far ahead the precise wait stops
// sleeping and spins. A precise wait is not interrupted: a datagram due earlier that arrives
// meanwhile (reordering, duplicates) waits for it, at most coarseMargin.
const (
	coarseMargin = 4 * time.Millisecond
	spinMargin   = 200 * time.Microsecond
)

// waitUntil blocks until t: nanosleep until spinMargin before it, then a spin on the clock.
func (SystemClock) waitUntil(t time.Time) {
	for {
		d := time.Until(t)
		if d <= 0 {
			return
		}
		if d > spinMargin {
			preciseSleep(d - spinMargin + spinMargin/4)
		}
		// Then spin on the clock. Not runtime.Gosched: it wakes an idle P on every call, and
		// the churn delays the netpoller's wake-up of whoever reads the datagram next.
	}
}
