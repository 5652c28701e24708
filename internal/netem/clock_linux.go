//go:build linux

package netem

import (
	"syscall"
	"time"
)

// preciseSleep blocks the calling thread in nanosleep: unlike a Go timer it wakes within
// the kernel's timer slack (about 50 µs) rather than at the next millisecond.
func preciseSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil) // EINTR: the caller re-checks the time
}
