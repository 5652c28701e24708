package netem

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/parley-voice/parley/internal/testenv"
)

// sharedTraces returns ../shared/data/traces next to the module root, or "" when this checkout
// has no such folder (a user's fresh clone). Tests that use it must not skip when it exists.
func sharedTraces(t testing.TB) string {
	t.Helper()
	return testenv.SharedData("traces")
}

func mustLink(t testing.TB, cfg LinkConfig, seed uint64) *Link {
	t.Helper()
	l, err := NewLink(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// percentile of sorted durations, p in 0..1.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// delays sends n packets of size bytes every gap and returns the sorted one-way delays of the
// delivered ones and the number dropped.
func delays(l *Link, n int, gap time.Duration, size int) (d []time.Duration, dropped int) {
	for i := range n {
		at := time.Duration(i) * gap
		dv := l.Send(at, size)
		if dv.Dropped {
			dropped++
			continue
		}
		d = append(d, dv.At-at)
	}
	slices.Sort(d)
	return d, dropped
}

// within reports whether got is within rel (fraction) of want.
func within(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Abs(want)
}
