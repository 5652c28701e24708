package natlab

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

// chanHandler sends every record's message to ch, dropping when full.
type chanHandler struct{ ch chan string }

func (h chanHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h chanHandler) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.ch <- r.Level.String() + " " + r.Message:
	default:
	}
	return nil
}
func (h chanHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h chanHandler) WithGroup(string) slog.Handler      { return h }

// TestLoggerInjected checks that vnet's NAT logs reach the injected logger:
// a datagram to a NAT's public address with no binding is dropped and
// logged at Warn.
func TestLoggerInjected(t *testing.T) {
	h := chanHandler{ch: make(chan string, 1024)}
	lab, err := New(Config{
		Peers:  []PeerConfig{{Name: "o"}, {Name: "p", NAT: PortRestrictedCone}},
		Logger: slog.New(h),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	o, _ := lab.Peer("o")
	p, _ := lab.Peer("p")
	c := listen(t, o, 5000)
	if _, err := c.WriteTo([]byte("x"), &net.UDPAddr{IP: p.PublicIP, Port: 40000}); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m := <-h.ch:
			if strings.HasPrefix(m, "WARN") && strings.Contains(m, "no NAT binding") {
				return
			}
		case <-timeout:
			t.Fatal("no drop warning logged")
		}
	}
}
