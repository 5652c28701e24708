package netem

import (
	"encoding/binary"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkNetAddedLatency measures the real-time transport.Net wrapper: datagrams paced every
// 500 µs over loopback UDP, each one's latency minus the configured one-way delay. It reports
// the p50, p99 and max of that added latency in µs, end to end (send call to the receiver's
// read returning). "raw" is the same path without the wrapper (the kernel's loopback and a
// goroutine wake-up: the floor under any emulator); "egress" impairs the sender's writes,
// "ingress" the receiver's reads. wrapper-p50/p99 are the wrapper's own lateness (Lateness):
// how late it handed each datagram on compared with its link's verdict.
func BenchmarkNetAddedLatency(b *testing.B) {
	const delay = 5 * time.Millisecond
	b.Run("raw", func(b *testing.B) { benchLatency(b, 0, nil, nil) })
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	b.Run("egress", func(b *testing.B) {
		nw := newStdNet(b, NetConfig{Egress: LinkConfig{Delay: DelayConfig{Base: delay}}})
		benchLatency(b, delay, nw, nil)
		l := nw.EgressLateness()
		b.ReportMetric(us(l.P50), "wrapper-p50-µs")
		b.ReportMetric(us(l.P99), "wrapper-p99-µs")
	})
	b.Run("ingress", func(b *testing.B) {
		nw := newStdNet(b, NetConfig{Ingress: LinkConfig{Delay: DelayConfig{Base: delay}}})
		benchLatency(b, delay, nil, nw)
		l := nw.IngressLateness()
		b.ReportMetric(us(l.P50), "wrapper-p50-µs")
		b.ReportMetric(us(l.P99), "wrapper-p99-µs")
	})
}

type packetConn interface {
	ReadFrom([]byte) (int, net.Addr, error)
	WriteTo([]byte, net.Addr) (int, error)
	LocalAddr() net.Addr
	Close() error
}

func listenOn(b *testing.B, nw *Net) packetConn {
	b.Helper()
	if nw == nil {
		return loopback(b)
	}
	c, err := nw.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func benchLatency(b *testing.B, delay time.Duration, txNet, rxNet *Net) {
	tx, rx := listenOn(b, txNet), listenOn(b, rxNet)
	defer tx.Close()
	defer rx.Close()
	base := time.Now()
	var sent []atomic.Int64
	lat := make(chan time.Duration, 1<<20)
	done := make(chan struct{})
	ready := make(chan []atomic.Int64, 1)
	go func() {
		defer close(done)
		buf := make([]byte, 64)
		s := <-ready
		for {
			n, _, err := rx.ReadFrom(buf)
			if err != nil || n < 8 {
				return
			}
			i := binary.BigEndian.Uint64(buf)
			if i == ^uint64(0) {
				return
			}
			lat <- time.Duration(int64(time.Since(base)) - s[i].Load())
		}
	}()
	sent = make([]atomic.Int64, 1<<20)
	ready <- sent
	msg := make([]byte, 172) // a 20 ms Opus frame with RTP and SRTP overhead
	tick := time.NewTicker(500 * time.Microsecond)
	defer tick.Stop()
	b.ResetTimer()
	var i uint64
	for b.Loop() {
		<-tick.C
		if i >= uint64(len(sent)) {
			break
		}
		binary.BigEndian.PutUint64(msg, i)
		sent[i].Store(int64(time.Since(base)))
		if _, err := tx.WriteTo(msg, rx.LocalAddr()); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.StopTimer()
	var added []time.Duration
	timeout := time.After(delay + time.Second)
collect:
	for uint64(len(added)) < i {
		select {
		case l := <-lat:
			added = append(added, l-delay)
		case <-timeout:
			break collect
		}
	}
	binary.BigEndian.PutUint64(msg, ^uint64(0))
	_, _ = tx.WriteTo(msg, rx.LocalAddr())
	rx.Close()
	<-done
	if len(added) == 0 {
		b.Fatal("nothing arrived")
	}
	slices.Sort(added)
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	b.ReportMetric(us(percentile(added, 0.5)), "p50-µs")
	b.ReportMetric(us(percentile(added, 0.99)), "p99-µs")
	b.ReportMetric(us(added[len(added)-1]), "max-µs")
	b.ReportMetric(float64(len(added)), "samples")
	if added[0] < 0 {
		b.Errorf("a datagram arrived %v before its configured delay", -added[0])
	}
}
