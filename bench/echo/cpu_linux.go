package echo

import (
	"syscall"
	"time"
)

// threadCPU is the CPU time the calling OS thread has used (the caller locks its goroutine to
// the thread). Linux's RUSAGE_THREAD.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
