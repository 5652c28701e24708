package netem

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestConstantRateByteAccurate(t *testing.T) {
	// 1 Mbit/s: a 1000-byte packet takes exactly 8 ms.
	l := mustLink(t, LinkConfig{Capacity: CapacityConfig{RateBps: 1e6}}, 1)
	for k := 1; k <= 100; k++ {
		dv := l.Send(0, 1000)
		if want := time.Duration(k) * 8 * time.Millisecond; dv.At != want {
			t.Fatalf("packet %d: at %v, want %v", k, dv.At, want)
		}
	}
	// After the queue drains, a packet is served immediately: 125 bytes = 1 ms.
	if dv := l.Send(time.Second, 125); dv.At != time.Second+time.Millisecond {
		t.Fatalf("idle packet at %v", dv.At)
	}
}

func TestMahimahiByteAccurate(t *testing.T) {
	tr, err := ParseMahimahi(strings.NewReader("0\n5\n5\n12\n20\n"))
	if err != nil {
		t.Fatal(err)
	}
	l := mustLink(t, LinkConfig{Capacity: CapacityConfig{Trace: tr}}, 1)
	// Ten full-size packets queued at 0 leave at the opportunities, looping at 20 ms.
	want := []time.Duration{0, 5, 5, 12, 20, 20, 25, 25, 32, 40}
	for i, w := range want {
		if dv := l.Send(0, 1500); dv.At != w*time.Millisecond {
			t.Fatalf("packet %d: at %v, want %v ms", i, dv.At, w)
		}
	}
	// Small packets share an opportunity: three 500-byte packets at 41 ms use the one at 45.
	for i := range 3 {
		if dv := l.Send(41*time.Millisecond, 500); dv.At != 45*time.Millisecond {
			t.Fatalf("small packet %d at %v, want 45ms", i, dv.At)
		}
	}
	// A 2000-byte packet spans two opportunities (45 is used up; 45 again, then 52).
	if dv := l.Send(41*time.Millisecond, 2000); dv.At != 52*time.Millisecond {
		t.Fatalf("spanning packet at %v, want 52ms", dv.At)
	}
	// An opportunity's unused bytes are gone once it has passed: a packet at 53 ms waits for 60.
	if dv := l.Send(53*time.Millisecond, 100); dv.At != 60*time.Millisecond {
		t.Fatalf("late packet at %v, want 60ms", dv.At)
	}
}

// saturate offers back-to-back packets of size bytes every gap for dur and returns the
// delivered bytes per window of length win (by arrival time).
func saturate(l *Link, dur, gap time.Duration, size int, win time.Duration) []int64 {
	out := make([]int64, int(dur/win)+1)
	for at := time.Duration(0); at < dur; at += gap {
		dv := l.Send(at, size)
		if !dv.Dropped && dv.At < dur {
			out[dv.At/win] += int64(size)
		}
	}
	return out[:len(out)-1]
}

func TestStepSchedule(t *testing.T) {
	steps := []RateStep{{10 * time.Second, 1e6}, {10 * time.Second, 2.5e6}, {10 * time.Second, 600e3}, {10 * time.Second, 1e6}}
	l := mustLink(t, LinkConfig{Capacity: CapacityConfig{Steps: steps, QueueDelay: 100 * time.Millisecond}}, 1)
	// Offer 4 Mbit/s: more than any step.
	got := saturate(l, 40*time.Second, time.Millisecond, 500, 10*time.Second)
	for i, s := range steps {
		rate := float64(got[i]) * 8 / s.Duration.Seconds()
		if !within(rate, float64(s.RateBps), 0.02) {
			t.Errorf("step %d: %.0f bit/s, want %d", i, rate, s.RateBps)
		}
	}
	// The last step holds: the schedule does not loop.
	got = saturate(l, 60*time.Second, time.Millisecond, 500, 20*time.Second)
	if rate := float64(got[2]) * 8 / 20; !within(rate, 1e6, 0.02) {
		t.Errorf("after the schedule: %.0f bit/s, want 1e6", rate)
	}
}

func TestDroptailQueueBytes(t *testing.T) {
	const limit = 20_000
	l := mustLink(t, LinkConfig{Capacity: CapacityConfig{RateBps: 1e6, QueueBytes: limit}}, 1)
	type inflight struct {
		dep  time.Duration
		size int
	}
	var q []inflight
	var drops, maxBacklog int
	for i := range 20_000 {
		at := time.Duration(i) * 2 * time.Millisecond // 1200 B / 2 ms = 4.8 Mbit/s offered
		for len(q) > 0 && q[0].dep <= at {
			q = q[1:]
		}
		dv := l.Send(at, 1200)
		if dv.Dropped {
			if dv.Reason != DropQueue {
				t.Fatalf("drop reason %v", dv.Reason)
			}
			drops++
			continue
		}
		q = append(q, inflight{dv.At, 1200})
		var backlog int
		for _, e := range q {
			backlog += e.size
		}
		maxBacklog = max(maxBacklog, backlog)
	}
	if maxBacklog > limit {
		t.Errorf("backlog reached %d bytes, limit %d", maxBacklog, limit)
	}
	if maxBacklog < limit-1200 {
		t.Errorf("backlog only reached %d bytes: the queue never filled", maxBacklog)
	}
	if drops == 0 {
		t.Error("no drops at 4.8× overload")
	}
}

func TestDroptailQueueDelay(t *testing.T) {
	const limit = 80 * time.Millisecond
	l := mustLink(t, LinkConfig{Capacity: CapacityConfig{RateBps: 500e3, QueueDelay: limit}}, 1)
	d, dropped := delays(l, 10_000, 5*time.Millisecond, 1000) // 1.6 Mbit/s offered
	service := 16 * time.Millisecond                          // 1000 B at 500 kbit/s
	if mx := d[len(d)-1]; mx > limit+service || mx < limit {
		t.Errorf("max sojourn %v, want in [%v, %v]", mx, limit, limit+service)
	}
	if dropped == 0 {
		t.Error("no drops")
	}
}

func TestMarkovCapacity(t *testing.T) {
	m := markov(500*time.Millisecond, 1, 0.5e6, 1e6, 2e6, 4e6)
	l := mustLink(t, LinkConfig{Capacity: CapacityConfig{Markov: m, QueueDelay: 200 * time.Millisecond}}, 5)
	win := saturate(l, 600*time.Second, 500*time.Microsecond, 1000, time.Second) // 16 Mbit/s offered
	var sum float64
	seen := map[int]bool{}
	for _, b := range win {
		sum += float64(b)
		r := float64(b) * 8
		for i, s := range m.States {
			if within(r, float64(s.RateBps), 0.05) {
				seen[i] = true
			}
		}
	}
	// Reflecting neighbour walk with equal dwell: the end states hold half as long as the
	// inner ones, so the time shares are 1/6, 1/3, 1/3, 1/6.
	want := (0.5e6 + 2*1e6 + 2*2e6 + 4e6) / 6
	if mean := sum * 8 / float64(len(win)); !within(mean, want, 0.1) {
		t.Errorf("mean capacity %.0f bit/s, want %.0f", mean, want)
	}
	if len(seen) < 3 {
		t.Errorf("1-s windows matched only states %v", seen)
	}
}

// TestSharedMahimahiTraces replays the real traces in ../shared/data when present: saturating
// 1500-byte traffic must come out exactly at the trace's opportunities, i.e. deliver the trace's
// bytes over a loop.
func TestSharedMahimahiTraces(t *testing.T) {
	dir := sharedTraces(t)
	names := []string{"ATT-LTE-driving.up", "Verizon-EVDO-driving.down", "TMobile-UMTS-driving.up"}
	if dir == "" {
		t.Log("no ../shared/data/traces: using a generated trace only")
	}
	var traces []*Trace
	var labels []string
	if dir != "" {
		for _, n := range names {
			tr, err := LoadTrace(dir+"/mahimahi/"+n, FormatMahimahi)
			if err != nil {
				t.Fatal(err)
			}
			traces = append(traces, tr)
			labels = append(labels, n)
		}
	}
	// A generated trace: a burst, a 2-s outage, a steady part.
	var b strings.Builder
	for ms := 0; ms < 6000; ms++ {
		if ms < 1000 || ms >= 3000 {
			fmt.Fprintf(&b, "%d\n", ms)
			if ms%3 == 0 {
				fmt.Fprintf(&b, "%d\n", ms)
			}
		}
	}
	gen, err := ParseMahimahi(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	traces, labels = append(traces, gen), append(labels, "generated")
	for i, tr := range traces {
		period := tr.Period
		if period > 120*time.Second {
			period = 120 * time.Second
		}
		l := mustLink(t, LinkConfig{Capacity: CapacityConfig{Trace: tr}}, 1)
		// Queue every packet at time 0: the k-th full-size packet must leave exactly at the
		// k-th opportunity, so the link carries the trace's bytes and nothing more.
		var n int
		var bytes int64
		for _, o := range tr.Opportunities {
			if o >= period {
				break
			}
			dv := l.Send(0, OpportunityBytes)
			if dv.Dropped || dv.At != o {
				t.Fatalf("%s: packet %d at %v (dropped %v), want opportunity %v", labels[i], n, dv.At, dv.Dropped, o)
			}
			n++
			bytes += OpportunityBytes
		}
		if want := int64(n) * OpportunityBytes; bytes != want || n == 0 {
			t.Errorf("%s: delivered %d bytes, want %d", labels[i], bytes, want)
		}
		mean := tr.MeanRateBps()
		t.Logf("%s: %d opportunities in %v, mean %.2f Mbit/s", labels[i], n, period, mean/1e6)
		if math.IsNaN(mean) || mean <= 0 {
			t.Errorf("%s: mean rate %v", labels[i], mean)
		}
	}
}

func TestRFC8867VariableCapacity(t *testing.T) {
	steps := RFC8867VariableCapacity(0.1) // 100, 250, 60, 100 kbit/s
	l := mustLink(t, LinkConfig{Capacity: CapacityConfig{Steps: steps, QueueDelay: 200 * time.Millisecond}}, 1)
	got := saturate(l, 100*time.Second, 10*time.Millisecond, 500, 20*time.Second) // 400 kbit/s offered
	want := []float64{100e3, 100e3, 250e3, 60e3, 100e3}
	for i, w := range want {
		if r := float64(got[i]) * 8 / 20; !within(r, w, 0.02) {
			t.Errorf("window %d: %.0f bit/s, want %.0f", i, r, w)
		}
	}
}
