package server

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"

	"github.com/parley-voice/parley/signaling"
)

var loopbackPeers = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// turnClient is a pion TURN client on a fresh loopback UDP socket.
func turnClient(t *testing.T, addr string, info signaling.TURNInfo) *turn.Client {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := turn.NewClient(&turn.ClientConfig{STUNServerAddr: addr, TURNServerAddr: addr, Conn: pc,
		Username: info.Username, Password: info.Credential, LoggerFactory: pionLogs{discard()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); _ = pc.Close() })
	return c
}

// TestTURNRefusesInternalPeers is the attack of issue 15 item 1: a self-registered user's
// TURN credential used to reach services on the server's own host and networks. Every
// internal destination is refused a permission and a datagram to a loopback service never
// arrives; the same relay still reaches a peer on the allow-list.
func TestTURNRefusesInternalPeers(t *testing.T) {
	checkGoroutines(t)
	secret := []byte("guard-secret")
	ts0, err := StartTURN(TURNServerConfig{Secret: secret, UDPAddr: "127.0.0.1:0", TCPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ts0.Close()
	ts := startServer(t, Config{TURN: TURNConfig{Secret: secret, URLs: ts0.URLs("")}})
	info := loginTURN(t, ts, "mallory")
	c := turnClient(t, ts0.UDPAddr().String(), info)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	relay, err := c.AllocateWithContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()

	// A UDP service on loopback (NATS, DNS, the server's own ports).
	svc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	_, _ = relay.WriteTo([]byte("probe"), svc.LocalAddr())
	_ = svc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if n, from, err := svc.ReadFrom(make([]byte, 64)); err == nil {
		t.Fatalf("loopback service got %d bytes from %v through the relay", n, from)
	}
	for _, ip := range []string{"127.0.0.1", "10.0.0.1", "192.168.1.1", "172.16.0.1", "169.254.169.254",
		"100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1",
		"::ffff:169.254.169.254", "64:ff9b::a00:1"} {
		err := c.CreatePermission(&net.UDPAddr{IP: net.ParseIP(ip), Port: 9})
		if err == nil {
			t.Errorf("permission for %s granted", ip)
		} else {
			t.Logf("permission for %-22s refused: %v", ip, err)
		}
	}
	if err := c.CreatePermission(&net.UDPAddr{IP: net.ParseIP("198.51.100.7"), Port: 9}); err != nil {
		t.Errorf("permission for a public address refused: %v", err)
	}
}

// TestTURNQuotaAndTCPRelay: one credential holds at most MaxAllocationsPerUser relays (fresh
// credentials of the same user share the count), and RFC 6062 TCP relays, which once read the
// signaling node's /metrics, are refused unless enabled.
func TestTURNQuotaAndTCPRelay(t *testing.T) {
	checkGoroutines(t)
	secret := []byte("quota-secret")
	ts0, err := StartTURN(TURNServerConfig{Secret: secret, UDPAddr: "127.0.0.1:0", TCPAddr: "127.0.0.1:0",
		MaxAllocationsPerUser: 3, AllowPeers: loopbackPeers})
	if err != nil {
		t.Fatal(err)
	}
	defer ts0.Close()
	ts := startServer(t, Config{TURN: TURNConfig{Secret: secret, URLs: ts0.URLs("")}})
	info := loginTURN(t, ts, "mallory")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	granted := 0
	var last error
	for range 6 {
		relay, err := turnClient(t, ts0.UDPAddr().String(), info).AllocateWithContext(ctx)
		if err != nil {
			last = err
			continue
		}
		defer relay.Close()
		granted++
	}
	t.Logf("allocations granted: %d of 6 (cap 3); refusal: %v", granted, last)
	if granted != 3 || last == nil || !strings.Contains(last.Error(), "486") {
		t.Fatalf("granted %d allocations, last error %v; want 3 and 486", granted, last)
	}

	// An RFC 6062 TCP relay, by a user under quota: refused while TCPRelay is off; the same
	// request is granted by a server that enables it (so the refusal is the option's doing).
	other := loginTURN(t, ts, "trudy")
	if err := allocTCP(t, ts0.TCPAddr().String(), other); err == nil {
		t.Fatal("TCP relay allocated with TCPRelay off")
	} else {
		t.Logf("TCP relay allocation refused: %v", err)
	}
	on, err := StartTURN(TURNServerConfig{Secret: secret, TCPAddr: "127.0.0.1:0", TCPRelay: true})
	if err != nil {
		t.Fatal(err)
	}
	defer on.Close()
	if err := allocTCP(t, on.TCPAddr().String(), other); err != nil {
		t.Fatalf("TCP relay with TCPRelay on: %v", err)
	}
}

// allocTCP asks the TURN server at addr (over TCP) for an RFC 6062 TCP relay allocation.
func allocTCP(t *testing.T, addr string, info signaling.TURNInfo) error {
	t.Helper()
	hc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer hc.Close()
	c, err := turn.NewClient(&turn.ClientConfig{STUNServerAddr: addr, TURNServerAddr: addr,
		Conn: turn.NewSTUNConn(hc), Username: info.Username, Password: info.Credential, LoggerFactory: pionLogs{discard()}})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	alloc, err := c.AllocateTCPWithContext(ctx)
	if err != nil {
		return err
	}
	return alloc.Close()
}

// TestPeerFilter checks the deny list directly, IPv6 included (an IPv4 allocation answers
// IPv6 permissions with 443 before the filter is asked, so TestTURNRefusesInternalPeers
// cannot reach these).
func TestPeerFilter(t *testing.T) {
	var f peerFilter
	for _, ip := range []string{"127.0.0.1", "10.1.2.3", "172.31.0.1", "192.168.0.1", "169.254.169.254", "100.64.0.1",
		"100.127.255.254", "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.1.1.1", "255.255.255.255", "198.18.0.1",
		"::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1",
		"::127.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1"} {
		if f.permit(net.ParseIP(ip)) {
			t.Errorf("%s permitted", ip)
		}
	}
	for _, ip := range []string{"198.51.100.7", "8.8.8.8", "100.128.0.1", "172.32.0.1", "2001:db8::1", "2a00:1450::1",
		"::ffff:8.8.8.8", "64:ff9b::808:808"} {
		if !f.permit(net.ParseIP(ip)) {
			t.Errorf("%s refused", ip)
		}
	}
	allow := peerFilter{allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}}
	for _, ip := range []string{"127.0.0.1", "::ffff:127.0.0.2", "fd00::5"} {
		if !allow.permit(net.ParseIP(ip)) {
			t.Errorf("allowed %s refused", ip)
		}
	}
	if allow.permit(net.ParseIP("10.0.0.1")) || allow.permit(nil) {
		t.Error("the allow list opened more than it names")
	}
}
