package netem

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/pion/transport/v5/stdnet"
)

func loopback(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newStdNet(t testing.TB, cfg NetConfig) *Net {
	t.Helper()
	inner, err := stdnet.NewNet()
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNet(inner, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// waitGoroutines waits (briefly) for the goroutine count to return to want.
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutine leak: %d > %d\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// TestNetEgressDelayAndLoss sends real UDP over loopback through the wrapper: measured delay
// ≈ configured, loss ≈ configured.
func TestNetEgressDelayAndLoss(t *testing.T) {
	before := runtime.NumGoroutine()
	const delay = 20 * time.Millisecond
	const n = 400
	rx := loopback(t)
	nw := newStdNet(t, NetConfig{Seed: 3, Egress: LinkConfig{
		Delay: DelayConfig{Base: delay}, Loss: LossConfig{Model: LossBernoulli, Rate: 0.2}}})
	tx, err := nw.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan time.Duration, n)
	go func() {
		buf := make([]byte, 64)
		for {
			k, _, err := rx.ReadFromUDP(buf)
			if err != nil || k < 8 {
				close(got)
				return
			}
			sent := int64(binary.BigEndian.Uint64(buf))
			got <- time.Duration(time.Now().UnixNano() - sent)
		}
	}()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	msg := make([]byte, 40)
	for range n {
		<-tick.C
		binary.BigEndian.PutUint64(msg, uint64(time.Now().UnixNano()))
		if _, err := tx.WriteTo(msg, rx.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	// The link's verdicts are deterministic (seeded); wait for every datagram it delivered.
	st := nw.EgressStats()
	var lats []time.Duration
	timeout := time.After(5 * time.Second)
collect:
	for int64(len(lats)) < st.Delivered {
		select {
		case l := <-got:
			lats = append(lats, l)
		case <-timeout:
			break collect
		}
	}
	if st.Sent != n || int64(len(lats)) != st.Delivered || st.Delivered+st.Lost != n {
		t.Errorf("received %d; egress stats %+v", len(lats), st)
	}
	slices.Sort(lats)
	if loss := 1 - float64(len(lats))/n; loss < 0.12 || loss > 0.28 {
		t.Errorf("loss %.3f, want ≈ 0.2", loss)
	}
	p50, p99 := percentile(lats, 0.5), percentile(lats, 0.99)
	// Never early; the median within 3 ms. The tail depends on the machine's load (the
	// benchmark BenchmarkNetAddedLatency measures it), so it is only logged here.
	if lats[0] < delay || p50 > delay+3*time.Millisecond {
		t.Errorf("delay min %v p50 %v, want ≈ %v", lats[0], p50, delay)
	}
	t.Logf("loopback through Net: %d/%d delivered, delay min %v p50 %v p99 %v", len(lats), n, lats[0], p50, p99)
	tx.Close()
	nw.Close()
	rx.Close()
	waitGoroutines(t, before)
}

// TestNetIngressFakeClock drives the wrapper with an injected clock: a datagram read through an
// impaired ingress link appears exactly when the clock reaches the configured delay.
func TestNetIngressFakeClock(t *testing.T) {
	before := runtime.NumGoroutine()
	clk := newFakeClock()
	nw := newStdNet(t, NetConfig{Clock: clk, Ingress: LinkConfig{Delay: DelayConfig{Base: 50 * time.Millisecond}}})
	c, err := nw.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	tx := loopback(t)
	if _, err := tx.WriteTo([]byte("hello"), c.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	// Wait until the reader goroutine has passed it to the link.
	for deadline := time.Now().Add(2 * time.Second); nw.IngressStats().Sent == 0; {
		if time.Now().After(deadline) {
			t.Fatal("datagram never reached the ingress link")
		}
		runtime.Gosched()
	}
	buf := make([]byte, 16)
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	if _, _, err := c.ReadFrom(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read before the delay: %v", err)
	}
	clk.Advance(49 * time.Millisecond)
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	if _, _, err := c.ReadFrom(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read at 49 ms: %v", err)
	}
	clk.Advance(time.Millisecond)
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	k, from, err := c.ReadFrom(buf)
	if err != nil || string(buf[:k]) != "hello" || from.String() != tx.LocalAddr().String() {
		t.Fatalf("read at 50 ms: %q from %v, %v", buf[:k], from, err)
	}
	if err := nw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadFrom(buf); !errors.Is(err, net.ErrClosed) {
		t.Errorf("read after Close: %v", err)
	}
	if _, err := nw.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); !errors.Is(err, ErrClosed) {
		t.Errorf("listen after Close: %v", err)
	}
	tx.Close()
	waitGoroutines(t, before)
}

// TestNetDialEcho: a connected conn through the wrapper talks to an echo server both ways.
func TestNetDialEcho(t *testing.T) {
	echo := loopback(t)
	go func() {
		buf := make([]byte, 16384)
		for {
			k, a, err := echo.ReadFromUDP(buf)
			if err != nil {
				return
			}
			_, _ = echo.WriteToUDP(buf[:k], a)
		}
	}()
	nw := newStdNet(t, NetConfig{Egress: LinkConfig{Delay: DelayConfig{Base: 5 * time.Millisecond}},
		Ingress: LinkConfig{Delay: DelayConfig{Base: 5 * time.Millisecond}}})
	c, err := nw.Dial("udp4", echo.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 16)
	k, err := c.Read(buf)
	if err != nil || string(buf[:k]) != "ping" {
		t.Fatalf("echo: %q %v", buf[:k], err)
	}
	if rtt := time.Since(start); rtt < 10*time.Millisecond || rtt > time.Second { // upper bound only catches hangs
		t.Errorf("round trip %v, want ≈ 10 ms", rtt)
	}
	// A datagram above the small buffer class survives intact both ways.
	big := make([]byte, 9000)
	for i := range big {
		big[i] = byte(i * 7)
	}
	if _, err := c.Write(big); err != nil {
		t.Fatal(err)
	}
	back := make([]byte, 10000)
	k, err = c.Read(back)
	if err != nil || !bytes.Equal(back[:k], big) {
		t.Fatalf("9000-byte echo: %d bytes, %v", k, err)
	}
}

func TestNewNetErrors(t *testing.T) {
	inner, _ := stdnet.NewNet()
	_, err := NewNet(inner, NetConfig{Egress: LinkConfig{Delay: DelayConfig{Base: -1}}})
	if !errors.Is(err, ErrInvalidConfig) || err.Error()[:len("netem: Egress.Delay.Base")] != "netem: Egress.Delay.Base" {
		t.Errorf("bad egress: %v", err)
	}
	if _, err := NewNet(nil, NetConfig{}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("nil inner: %v", err)
	}
}

// TestNetEgressFakeClock: the scheduler releases a written datagram only when the injected
// clock reaches its due time; a replayed loss pattern drops exactly the second one.
func TestNetEgressFakeClock(t *testing.T) {
	clk := newFakeClock()
	nw := newStdNet(t, NetConfig{Clock: clk, Egress: LinkConfig{Delay: DelayConfig{Base: 40 * time.Millisecond},
		Loss: LossConfig{Model: LossReplay, Pattern: []bool{false, true}}}})
	tx, err := nw.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rx := loopback(t)
	for _, m := range []string{"one", "lost", "three"} {
		if _, err := tx.WriteTo([]byte(m), rx.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 16)
	_ = rx.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	if _, _, err := rx.ReadFrom(buf); err == nil {
		t.Fatal("datagram left before the clock moved")
	}
	clk.Advance(40 * time.Millisecond)
	for _, want := range []string{"one", "three"} {
		_ = rx.SetReadDeadline(time.Now().Add(2 * time.Second))
		k, _, err := rx.ReadFrom(buf)
		if err != nil || string(buf[:k]) != want {
			t.Fatalf("got %q, %v; want %q", buf[:k], err, want)
		}
	}
	if st := nw.EgressStats(); st.Sent != 3 || st.Lost != 1 || st.Delivered != 2 {
		t.Errorf("stats %+v", st)
	}
}
