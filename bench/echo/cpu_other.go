//go:build !linux

package echo

import "time"

// threadCPU is unavailable off Linux: the bench reports wall-clock time per frame instead.
func threadCPU() time.Duration { return -1 }
