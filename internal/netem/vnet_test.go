package netem

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
)

// TestNetOverVNet wraps a pion vnet.Net (as internal/natlab does): the impairment applies on
// top of the virtual network, with no sockets at all.
func TestNetOverVNet(t *testing.T) {
	router, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", LoggerFactory: logging.NewDefaultLoggerFactory()})
	if err != nil {
		t.Fatal(err)
	}
	a, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{"10.0.0.2"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{"10.0.0.3"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := router.AddNet(a); err != nil {
		t.Fatal(err)
	}
	if err := router.AddNet(b); err != nil {
		t.Fatal(err)
	}
	if err := router.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = router.Stop() }()

	wa, err := NewNet(a, NetConfig{Egress: LinkConfig{Delay: DelayConfig{Base: 30 * time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	defer wa.Close()
	ca, err := wa.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP("10.0.0.2"), Port: 5000})
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP("10.0.0.3"), Port: 6000})
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close()
	start := time.Now()
	if _, err := ca.WriteTo([]byte("over vnet"), cb.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	_ = cb.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 32)
	n, from, err := cb.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "over vnet" || from.String() != "10.0.0.2:5000" {
		t.Fatalf("got %q from %v: %v", buf[:n], from, err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("arrived after %v, before the configured 30 ms", d)
	}
}

// TestNetInnerClosed: when the wrapped vnet connection dies underneath, reads fail instead of
// the reader goroutine spinning.
func TestNetInnerClosed(t *testing.T) {
	a, err := vnet.NewNet(&vnet.NetConfig{})
	if err != nil {
		t.Fatal(err)
	}
	inner, err := a.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7000})
	if err != nil {
		t.Fatal(err)
	}
	nw, err := NewNet(a, NetConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer nw.Close()
	c, _ := nw.wrap(inner, false)
	_ = inner.Close()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, _, err := c.ReadFrom(make([]byte, 8)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read on a dead inner connection: %v", err)
	}
}
