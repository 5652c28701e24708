//go:build !linux

package netem

import "time"

func preciseSleep(d time.Duration) { time.Sleep(d) }
