package engine

import (
	"context"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/internal/natlab"
)

// BenchmarkDialToFirstAudio measures the time from Dial to the callee's first decoded frame of
// the caller's audio (the callee answers at once), over a natlab WAN without delay, and reports
// the median: direct (no NAT), relay-only policy, and auto policy between symmetric NATs (relay
// after Config.RelayWait).
func BenchmarkDialToFirstAudio(b *testing.B) {
	for _, bc := range []struct {
		name   string
		policy Policy
		nat    natlab.NAT
	}{{"direct", PolicyAuto, natlab.NoNAT}, {"relay", PolicyRelay, natlab.NoNAT}, {"symmetric-auto", PolicyAuto, natlab.Symmetric}} {
		b.Run(bc.name, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				b.StopTimer()
				l, ca, cb := lab(b, bc.nat, bc.nat)
				ca.Policy, cb.Policy = bc.policy, bc.policy
				ca.Source = &audio.Tone{FrequencyHz: 440, Amplitude: 0.3}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				b.StartTimer()
				start := time.Now()
				a, cl := connect(b, ctx, ca, cb)
				for cl.Stats().Receive.FramesDecoded == 0 {
					if ctx.Err() != nil {
						b.Fatal("no audio")
					}
					time.Sleep(2 * time.Millisecond)
				}
				times = append(times, time.Since(start))
				b.StopTimer()
				_ = a.Hangup(ctx)
				<-cl.Done()
				_ = l.Close()
				cancel()
				b.StartTimer()
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2])/1e6, "ms-p50")
			b.ReportMetric(float64(times[len(times)-1])/1e6, "ms-max")
		})
	}
}

// BenchmarkCallCPU runs a 5 s call with audio both ways (20 ms frames, 32 kb/s, SRTP) and
// reports the process CPU time per endpoint as a percentage of one core. Both endpoints and
// natlab's virtual routers run in the process, so the figure is an upper bound.
func BenchmarkCallCPU(b *testing.B) {
	for b.Loop() {
		l, ca, cb := lab(b, natlab.NoNAT, natlab.NoNAT)
		ca.Source = &audio.Tone{FrequencyHz: 440, Amplitude: 0.3}
		cb.Source = &audio.Tone{FrequencyHz: 660, Amplitude: 0.3}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		a, c := connect(b, ctx, ca, cb)
		waitAudio(b, a, c, 10)
		cpu0, wall0 := cpuTime(), time.Now()
		time.Sleep(5 * time.Second)
		cpu, wall := cpuTime()-cpu0, time.Since(wall0)
		b.ReportMetric(100*float64(cpu)/float64(wall)/2, "%core/endpoint")
		_ = a.Hangup(ctx)
		<-c.Done()
		_ = l.Close()
		cancel()
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
