//go:build !linux

package netem

import (
	"runtime"
	"time"
)

func preciseSleep(d time.Duration) { time.Sleep(d) }

func spinYield() { runtime.Gosched() }
