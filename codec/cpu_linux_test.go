package codec

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU measures the CPU time of the benchmark's own OS thread, so a figure per frame holds
// on a loaded machine where wall time (ns/op) does not: the machine's other work does not count.
type threadCPU struct{ start time.Duration }

const rusageThread = 1 // RUSAGE_THREAD (Linux)

func threadTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startThreadCPU pins the goroutine to its thread and starts measuring; call report after the
// loop.
func startThreadCPU(b *testing.B) *threadCPU {
	runtime.LockOSThread()
	b.Cleanup(runtime.UnlockOSThread)
	return &threadCPU{start: threadTime()}
}

// report adds cpu-µs/op and, for frames of frame duration, the share of one core in percent
// ("%core": 100 × CPU time / audio time).
func (c *threadCPU) report(b *testing.B, frame time.Duration) {
	n := b.N
	if n == 0 {
		return
	}
	per := (threadTime() - c.start) / time.Duration(n)
	b.ReportMetric(float64(per)/1e3, "cpu-µs/op")
	b.ReportMetric(100*float64(per)/float64(frame), "%core")
}
