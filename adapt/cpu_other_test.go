//go:build !linux

package adapt

import "time"

// threadTime is unavailable off Linux: the benchmark reports wall time only.
func threadTime() time.Duration { return -1 }
