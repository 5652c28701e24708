package netem

import (
	"testing"
	"time"
)

// BenchmarkLinkSend measures the virtual-time core: 20 ms voice packets (plus some video-sized
// ones) through a realistic profile. Reports packets per second of CPU.
func BenchmarkLinkSend(b *testing.B) {
	for _, name := range []string{"lte", "unmanaged", "cellular"} {
		b.Run(name, func(b *testing.B) {
			cfg, err := Profile(name)
			if err != nil {
				b.Fatal(err)
			}
			cfg.Duplicate = 0.01
			cfg.Reorder = ReorderConfig{Rate: 0.01, Delay: 20 * time.Millisecond}
			l := mustLink(b, cfg, 1)
			b.ReportAllocs()
			b.ResetTimer()
			var at time.Duration
			for i := 0; b.Loop(); i++ {
				at += 2 * time.Millisecond
				l.Send(at, 200+(i&7)*150)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
		})
	}
}

// BenchmarkLinkSendTrace runs the Mahimahi opportunity server with a byte-limited queue.
func BenchmarkLinkSendTrace(b *testing.B) {
	var opps []time.Duration
	for ms := range 10_000 {
		for range ms % 3 {
			opps = append(opps, time.Duration(ms)*time.Millisecond)
		}
	}
	tr := &Trace{Opportunities: opps, Period: 10 * time.Second}
	l := mustLink(b, LinkConfig{Capacity: CapacityConfig{Trace: tr, QueueBytes: 150_000},
		Loss: LossConfig{Model: LossGilbertElliott, Rate: 0.05, MeanBurst: 2.5}}, 1)
	b.ReportAllocs()
	var at time.Duration
	for i := 0; b.Loop(); i++ {
		at += 500 * time.Microsecond
		l.Send(at, 200+(i&7)*150)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
}
