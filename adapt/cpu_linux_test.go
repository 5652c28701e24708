package adapt

import (
	"syscall"
	"time"
)

const rusageThread = 1 // RUSAGE_THREAD (Linux)

// threadTime is the CPU time the calling OS thread has used (the caller locks its goroutine to
// the thread), or −1 when unknown: a per-decision figure that holds on a loaded machine, where
// wall time (ns/op) counts the machine's other work.
func threadTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
