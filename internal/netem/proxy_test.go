package netem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the proxy's stats writer and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestProxyEcho: a UDP echo server behind the proxy on loopback; round trips take the two
// configured delays, a lossy uplink loses its share, Run stops cleanly on cancel.
func TestProxyEcho(t *testing.T) {
	before := runtime.NumGoroutine()
	echo := loopback(t)
	echoDone := make(chan struct{})
	go func() {
		defer close(echoDone)
		buf := make([]byte, 1500)
		for {
			k, a, err := echo.ReadFromUDP(buf)
			if err != nil {
				return
			}
			_, _ = echo.WriteToUDP(buf[:k], a)
		}
	}()
	var stats syncBuffer
	p, err := NewProxy(ProxyConfig{
		Listen: "127.0.0.1:0", To: echo.LocalAddr().String(), Seed: 5,
		Up:       LinkConfig{Delay: DelayConfig{Base: 15 * time.Millisecond}, Loss: LossConfig{Model: LossBernoulli, Rate: 0.1}},
		Down:     LinkConfig{Delay: DelayConfig{Base: 10 * time.Millisecond}},
		StatsOut: &stats, StatsEvery: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- p.Run(ctx) }()

	client := loopback(t)
	const n = 300
	rtts := make(chan time.Duration, n)
	go func() {
		buf := make([]byte, 64)
		for {
			k, _, err := client.ReadFromUDP(buf)
			if err != nil {
				close(rtts)
				return
			}
			var sent int64
			fmt.Sscan(string(buf[:k]), &sent)
			rtts <- time.Duration(time.Now().UnixNano() - sent)
		}
	}()
	tick := time.NewTicker(time.Millisecond)
	for range n {
		<-tick.C
		if _, err := client.WriteTo([]byte(fmt.Sprint(time.Now().UnixNano())), p.Addr()); err != nil {
			t.Fatal(err)
		}
	}
	tick.Stop()
	// Wait until the client has every datagram the downlink delivered (the links' verdicts
	// are seeded, so the counts are fixed; only timing varies with the machine's load).
	var got []time.Duration
	timeout := time.After(5 * time.Second)
collect:
	for {
		st := p.Stats()
		if st.Up.Sent == n && st.Up.Delivered == st.Down.Sent && int64(len(got)) == st.Down.Delivered {
			break
		}
		select {
		case r := <-rtts:
			got = append(got, r)
		case <-time.After(10 * time.Millisecond):
		case <-timeout:
			break collect
		}
	}
	st := p.Stats()
	if st.Sessions != 1 || st.Up.Sent != n || st.Down.Sent != st.Up.Delivered || int64(len(got)) != st.Down.Delivered {
		t.Errorf("received %d; stats %+v", len(got), st)
	}
	if loss := 1 - float64(len(got))/n; loss < 0.04 || loss > 0.17 {
		t.Errorf("round-trip loss %.3f, want ≈ 0.1", loss)
	}
	minRTT := time.Hour
	for _, r := range got {
		minRTT = min(minRTT, r)
	}
	if minRTT < 25*time.Millisecond || minRTT > 35*time.Millisecond {
		t.Errorf("min round trip %v, want ≈ 25 ms", minRTT)
	}
	cancel()
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}
	if out := stats.String(); !strings.Contains(out, "netem: 1 sessions | up: ") {
		t.Errorf("stats lines: %q", out)
	}
	client.Close()
	echo.Close()
	<-echoDone
	waitGoroutines(t, before)
}

func TestProxyConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg   ProxyConfig
		field string
	}{
		{ProxyConfig{To: "127.0.0.1:9"}, "Listen"},
		{ProxyConfig{Listen: "127.0.0.1:0", To: "nowhere"}, "To"},
		{ProxyConfig{Listen: "127.0.0.1:0", To: "127.0.0.1:9", Up: LinkConfig{Duplicate: -1}}, "Up.Duplicate"},
		{ProxyConfig{Listen: "127.0.0.1:0", To: "127.0.0.1:9", Down: LinkConfig{Delay: DelayConfig{Base: -1}}}, "Down.Delay.Base"},
	} {
		p, err := NewProxy(c.cfg)
		if err == nil {
			p.Close()
			t.Errorf("%s: no error", c.field)
			continue
		}
		if !errors.Is(err, ErrInvalidConfig) || !strings.HasPrefix(err.Error(), "netem: "+c.field+":") {
			t.Errorf("%s: %v", c.field, err)
		}
	}
}
