package natlab

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/turn/v5"
)

func TestNewValidates(t *testing.T) {
	tooMany := make([]PeerConfig, MaxPeers+1)
	for _, tc := range []struct {
		name string
		cfg  Config
		want error
	}{
		{"no peers", Config{}, ErrNoPeers},
		{"too many", Config{Peers: tooMany}, ErrTooManyPeers},
		{"duplicate", Config{Peers: []PeerConfig{{}, {Name: "peer0"}}}, ErrDuplicatePeer},
		{"unknown NAT", Config{Peers: []PeerConfig{{NAT: NAT(99)}}}, ErrUnknownNAT},
		{"negative NAT", Config{Peers: []PeerConfig{{NAT: NAT(-1)}}}, ErrUnknownNAT},
		{"negative delay", Config{Peers: []PeerConfig{{}}, WANDelay: -1}, ErrNegativeDuration},
		{"negative TTL", Config{Peers: []PeerConfig{{}}, CredentialTTL: -time.Second}, ErrNegativeDuration},
		{"behaviour on named kind", Config{Peers: []PeerConfig{{NAT: FullCone, Filtering: AddressDependent}}}, ErrBadBehavior},
		{"behaviour out of range", Config{Peers: []PeerConfig{{NAT: CustomNAT, Mapping: Behavior(7)}}}, ErrBadBehavior},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lab, err := New(tc.cfg)
			if !errors.Is(err, tc.want) {
				t.Fatalf("New: %v, want %v", err, tc.want)
			}
			if lab != nil {
				t.Fatal("lab returned with error")
			}
		})
	}
}

// TestCloseNoLeak checks that Close is idempotent and that every goroutine
// a lab started (routers, TURN server, streams) ends.
func TestCloseNoLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	var peers []PeerConfig
	for _, n := range AllNATs {
		peers = append(peers, PeerConfig{NAT: n})
	}
	lab, err := New(Config{Peers: peers})
	if err != nil {
		t.Fatal(err)
	}
	// Open a TCP stream to the TURN server so the stream path is covered.
	c, err := lab.peers[0].Net().Dial("tcp4", lab.serverAddr())
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Error("write on a stream of a closed lab succeeded")
	}
	if err := lab.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := lab.peers[0].Net().Dial("tcp4", lab.serverAddr()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Dial after Close: %v, want ErrClosed", err)
	}
	waitGoroutines(t, base, 5*time.Second)
}

func (l *Lab) serverAddr() string { return net.JoinHostPort(ServerIP, strconv.Itoa(TURNPort)) }

func TestPeersAndAddresses(t *testing.T) {
	lab, err := New(Config{Peers: []PeerConfig{{Name: "pub"}, {Name: "nat", NAT: Symmetric}}})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	pub, err := lab.Peer("pub")
	if err != nil {
		t.Fatal(err)
	}
	nat, err := lab.Peer("nat")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lab.Peer("nobody"); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("Peer(nobody): %v, want ErrUnknownPeer", err)
	}
	if got := pub.LocalIP.String() + " " + pub.PublicIP.String(); got != "198.51.100.1 198.51.100.1" {
		t.Errorf("pub addresses %s", got)
	}
	if got := nat.LocalIP.String() + " " + nat.PublicIP.String(); got != "10.0.2.2 198.51.100.2" {
		t.Errorf("nat addresses %s", got)
	}
	if len(lab.Peers()) != 2 || pub.VNet() == nil {
		t.Error("Peers or VNet wrong")
	}
	urls, err := nat.URLs()
	if err != nil {
		t.Fatal(err)
	}
	if len(urls) != 3 || urls[0].String() != lab.STUNURL() || urls[1].Username == "" || urls[2].Password == "" {
		t.Errorf("URLs %v", urls)
	}
}

// TestTCPOnlyToTURN checks the emulated TCP path: the TURN server is
// reachable, nothing else is, and plain vnet has no TCP at all.
func TestTCPOnlyToTURN(t *testing.T) {
	lab, err := New(Config{Peers: []PeerConfig{{NAT: UDPBlocked}}})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	p := lab.peers[0]
	if _, err := p.Net().Dial("tcp4", "198.51.100.9:3478"); !errors.Is(err, ErrNoTCPRoute) {
		t.Errorf("Dial elsewhere: %v, want ErrNoTCPRoute", err)
	}
	if _, err := p.Net().DialTCP("tcp6", nil, &net.TCPAddr{IP: net.ParseIP(ServerIP), Port: TURNPort}); !errors.Is(err, ErrNoTCPRoute) {
		t.Errorf("DialTCP tcp6: %v, want ErrNoTCPRoute", err)
	}
	if _, err := p.VNet().DialTCP("tcp4", nil, &net.TCPAddr{IP: net.ParseIP(ServerIP), Port: TURNPort}); !errors.Is(err, transport.ErrNotSupported) {
		t.Errorf("vnet DialTCP: %v, want ErrNotSupported", err)
	}
	c, err := p.Net().CreateDialer(&net.Dialer{}).Dial("tcp", lab.serverAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if la := c.LocalAddr().String(); la != "10.0.1.2:50000" {
		t.Errorf("LocalAddr %s", la)
	}
}

// TestTURNAllocate allocates relays with long-term credentials, over UDP
// from a NATed peer and over the emulated TCP from a UDP-blocked peer, sends
// through each relay to a public host, and checks a wrong password is
// refused.
func TestTURNAllocate(t *testing.T) {
	lab, err := New(Config{Peers: []PeerConfig{
		{Name: "udp", NAT: PortRestrictedCone}, {Name: "tcp", NAT: UDPBlocked}, {Name: "pub"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	pub, _ := lab.Peer("pub")
	sink, err := pub.VNet().ListenPacket("udp4", pub.LocalIP.String()+":7000")
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()

	for _, name := range []string{"udp", "tcp"} {
		t.Run(name, func(t *testing.T) {
			p, _ := lab.Peer(name)
			user, pass, err := lab.Credentials(p.Name)
			if err != nil {
				t.Fatal(err)
			}
			client := newTURNClient(t, lab, p, user, pass)
			defer client.Close()
			relay, err := client.Allocate()
			if err != nil {
				t.Fatalf("Allocate: %v", err)
			}
			defer relay.Close()
			if ra := relay.LocalAddr().(*net.UDPAddr); !ra.IP.Equal(net.ParseIP(ServerIP)) {
				t.Errorf("relay address %v, want on %s", ra, ServerIP)
			}
			msg := "via " + name
			if _, err := relay.WriteTo([]byte(msg), sink.LocalAddr()); err != nil {
				t.Fatal(err)
			}
			got, from := readOne(t, sink)
			if got != msg || from.(*net.UDPAddr).String() != relay.LocalAddr().String() {
				t.Errorf("sink got %q from %v, want %q from %v", got, from, msg, relay.LocalAddr())
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		p, _ := lab.Peer("udp")
		user, _, err := lab.Credentials(p.Name)
		if err != nil {
			t.Fatal(err)
		}
		client := newTURNClient(t, lab, p, user, "wrong")
		defer client.Close()
		if _, err := client.Allocate(); err == nil {
			t.Fatal("Allocate with a wrong password succeeded")
		}
	})
}

// newTURNClient returns a listening TURN client for p: over TCP when p is
// UDP-blocked, over UDP otherwise.
func newTURNClient(t *testing.T, lab *Lab, p *Peer, user, pass string) *turn.Client {
	t.Helper()
	var conn net.PacketConn
	if p.NAT == UDPBlocked {
		c, err := p.Net().Dial("tcp4", lab.serverAddr())
		if err != nil {
			t.Fatal(err)
		}
		conn = turn.NewSTUNConn(c)
	} else {
		c, err := p.Net().ListenPacket("udp4", p.LocalIP.String()+":0")
		if err != nil {
			t.Fatal(err)
		}
		conn = c
	}
	client, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: lab.serverAddr(),
		TURNServerAddr: lab.serverAddr(),
		Username:       user,
		Password:       pass,
		Realm:          lab.Realm(),
		Conn:           conn,
		Net:            p.Net(),
		RTO:            100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Listen(); err != nil {
		t.Fatal(err)
	}
	return client
}

// readOne reads one datagram, failing after 5 s.
func readOne(t *testing.T, c net.PacketConn) (string, net.Addr) {
	t.Helper()
	buf := make([]byte, 1500)
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, from, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatalf("read on %v: %v", c.LocalAddr(), err)
	}
	return string(buf[:n]), from
}

// TestNATBehaviour checks each kind's mapping and filtering on raw UDP,
// against two public observers o1 (ports 5000, 5001) and o2 (port 5000).
func TestNATBehaviour(t *testing.T) {
	for _, kind := range append(append([]NAT(nil), AllNATs...), CustomNAT) {
		t.Run(kind.String(), func(t *testing.T) {
			pc := PeerConfig{Name: "p", NAT: kind}
			if kind == CustomNAT { // address-dependent mapping and filtering
				pc.Mapping, pc.Filtering = AddressDependent, AddressDependent
			}
			lab, err := New(Config{Peers: []PeerConfig{{Name: "o1"}, {Name: "o2"}, pc}})
			if err != nil {
				t.Fatal(err)
			}
			defer lab.Close()
			o1, _ := lab.Peer("o1")
			o2, _ := lab.Peer("o2")
			p, _ := lab.Peer("p")
			o1a, o1b, o2a := listen(t, o1, 5000), listen(t, o1, 5001), listen(t, o2, 5000)
			sock := listen(t, p, 0)

			// Mapping: the source each observer socket sees.
			for _, dst := range []net.PacketConn{o1a, o1b, o2a} {
				if _, err := sock.WriteTo([]byte("m"), dst.LocalAddr()); err != nil {
					t.Fatal(err)
				}
			}
			if kind == UDPBlocked {
				assertSilent(t, o1a)
				return
			}
			_, m1 := readOne(t, o1a)
			_, m2 := readOne(t, o1b)
			_, m3 := readOne(t, o2a)
			distinct := m1.String() != m2.String() && m2.String() != m3.String() && m1.String() != m3.String()
			same := m1.String() == m2.String() && m2.String() == m3.String()
			switch kind {
			case NoNAT:
				if m1.String() != sock.LocalAddr().String() || !same {
					t.Errorf("no-nat: sources %v %v %v, want %v", m1, m2, m3, sock.LocalAddr())
				}
			case Symmetric:
				if !distinct {
					t.Errorf("symmetric: sources %v %v %v, want all distinct", m1, m2, m3)
				}
			case CustomNAT:
				if m1.String() != m2.String() || m1.String() == m3.String() {
					t.Errorf("address-dependent: sources %v %v %v, want o1 ports shared, o2 apart", m1, m2, m3)
				}
			default:
				if !same || !m1.(*net.UDPAddr).IP.Equal(p.PublicIP) {
					t.Errorf("%v: sources %v %v %v, want one mapping on %v", kind, m1, m2, m3, p.PublicIP)
				}
			}

			// Filtering: a fresh socket opens its mapping towards o1a
			// only; o1b and o2a then send to that mapping, and o1a sends
			// a marker last. Each router queue is FIFO, so what arrives
			// before the marker is exactly what the filter admitted.
			fresh := listen(t, p, 0)
			if _, err := fresh.WriteTo([]byte("open"), o1a.LocalAddr()); err != nil {
				t.Fatal(err)
			}
			_, mapped := readOne(t, o1a)
			for _, src := range []net.PacketConn{o1b, o2a, o1a} {
				msg := "from " + peerOf(lab, src)
				if src == o1a {
					msg = "marker"
				}
				if _, err := src.WriteTo([]byte(msg), mapped); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			for {
				s, _ := readOne(t, fresh)
				if s == "marker" {
					break
				}
				got = append(got, s)
			}
			want := map[NAT]string{
				NoNAT:              "[from o1:5001 from o2:5000]",
				FullCone:           "[from o1:5001 from o2:5000]",
				RestrictedCone:     "[from o1:5001]",
				PortRestrictedCone: "[]",
				Symmetric:          "[]",
				CustomNAT:          "[from o1:5001]",
			}[kind]
			if fmt.Sprint(got) != want {
				t.Errorf("admitted %v, want %v", got, want)
			}
		})
	}
}

func listen(t *testing.T, p *Peer, port int) net.PacketConn {
	t.Helper()
	c, err := p.VNet().ListenPacket("udp4", net.JoinHostPort(p.LocalIP.String(), strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func peerOf(lab *Lab, c net.PacketConn) string {
	a := c.LocalAddr().(*net.UDPAddr)
	for _, p := range lab.peers {
		if p.LocalIP.Equal(a.IP) {
			return p.Name + ":" + strconv.Itoa(a.Port)
		}
	}
	return a.String()
}

// assertSilent checks nothing arrives on c within 300 ms: a negative
// outcome has no event to wait for.
func assertSilent(t *testing.T, c net.PacketConn) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(300 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	var ne net.Error
	if n, from, err := c.ReadFrom(buf); !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("got %q from %v (err %v), want silence", buf[:n], from, err)
	}
}

// TestWANDelay checks that Config.WANDelay holds a datagram at least that
// long (a lower bound only: scheduling may add more).
func TestWANDelay(t *testing.T) {
	const delay = 50 * time.Millisecond
	lab, err := New(Config{Peers: []PeerConfig{{Name: "a"}, {Name: "b", NAT: FullCone}}, WANDelay: delay})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	a, _ := lab.Peer("a")
	b, _ := lab.Peer("b")
	ca, cb := listen(t, a, 5000), listen(t, b, 0)
	start := time.Now()
	if _, err := cb.WriteTo([]byte("ping"), ca.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if got, _ := readOne(t, ca); got != "ping" {
		t.Fatalf("got %q", got)
	}
	if el := time.Since(start); el < delay {
		t.Fatalf("delivered after %v, want ≥ %v", el, delay)
	}
}
