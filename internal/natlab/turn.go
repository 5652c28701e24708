package natlab

import (
	"fmt"
	"net"
	"strconv"

	"github.com/pion/logging"
	"github.com/pion/stun/v4"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/turn/v5"
)

// startServer runs the STUN/TURN server on serverNet: UDP on
// ServerIP:TURNPort, and the emulated TCP listener on the same address.
// Relays are allocated on the WAN at ServerIP. Authentication is the TURN
// REST scheme (username "expiry:name", password HMAC-SHA1 of it under the
// lab secret), i.e. long-term credentials, as coturn's use-auth-secret.
func (l *Lab) startServer(serverNet *vnet.Net, factory logging.LoggerFactory) error {
	addr := net.JoinHostPort(ServerIP, strconv.Itoa(TURNPort))
	pc, err := serverNet.ListenPacket("udp4", addr)
	if err != nil {
		return fmt.Errorf("natlab: TURN UDP listen: %w", err)
	}
	l.listener = newStreamListener(&net.TCPAddr{IP: l.serverIP, Port: TURNPort})
	relay := func() turn.RelayAddressGenerator {
		return relayGenerator{&turn.RelayAddressGeneratorStatic{RelayAddress: l.serverIP, Address: ServerIP, Net: serverNet}}
	}
	server, err := turn.NewServer(turn.ServerConfig{
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: pc, RelayAddressGenerator: relay()}},
		ListenerConfigs:   []turn.ListenerConfig{{Listener: l.listener, RelayAddressGenerator: relay()}},
		LoggerFactory:     factory,
		Realm:             l.realm,
		AuthHandler:       turn.LongTermTURNRESTAuthHandler(l.secret, factory.NewLogger("turn-auth")),
	})
	if err != nil {
		_ = pc.Close()
		_ = l.listener.Close()
		return fmt.Errorf("natlab: TURN server: %w", err)
	}
	l.server = server
	return nil
}

// Credentials mints TURN REST credentials for user, valid for the lab's
// CredentialTTL from now.
func (l *Lab) Credentials(user string) (username, password string, err error) {
	username, password, err = turn.GenerateLongTermTURNRESTCredentials(l.secret, user, l.ttl)
	if err != nil {
		return "", "", fmt.Errorf("natlab: credentials: %w", err)
	}
	return username, password, nil
}

// Realm returns the TURN realm.
func (l *Lab) Realm() string { return l.realm }

// STUNURL returns the server's STUN URL, "stun:203.0.113.1:3478".
func (l *Lab) STUNURL() string { return "stun:" + net.JoinHostPort(ServerIP, strconv.Itoa(TURNPort)) }

// TURNURLs returns the server's TURN URLs, UDP first, then TCP (with
// "?transport=" set), for use with credentials from Credentials.
func (l *Lab) TURNURLs() []string {
	hp := net.JoinHostPort(ServerIP, strconv.Itoa(TURNPort))
	return []string{"turn:" + hp + "?transport=udp", "turn:" + hp + "?transport=tcp"}
}

// URLs returns p's ICE server URIs, ready for ice.AgentConfig.Urls: STUN,
// TURN over UDP and TURN over TCP, the TURN ones carrying fresh credentials
// minted for p's name.
func (p *Peer) URLs() ([]*stun.URI, error) {
	user, pass, err := p.lab.Credentials(p.Name)
	if err != nil {
		return nil, err
	}
	out := make([]*stun.URI, 0, 3)
	for _, raw := range append([]string{p.lab.STUNURL()}, p.lab.TURNURLs()...) {
		u, err := stun.ParseURI(raw)
		if err != nil {
			return nil, fmt.Errorf("natlab: parse %q: %w", raw, err)
		}
		if u.Scheme == stun.SchemeTypeTURN {
			u.Username, u.Password = user, pass
		}
		out = append(out, u)
	}
	return out, nil
}

// relayGenerator is pion's static relay address generator with one change:
// AllocatePacketConn returns a copy of the relay socket's address. pion's
// version sets the IP on the *net.UDPAddr that the socket's LocalAddr returns,
// which on a vnet.Net is the socket's own address, read concurrently by the
// vnet port allocator when the UDP and TCP listeners allocate at once (a data
// race the race detector reports).
type relayGenerator struct {
	*turn.RelayAddressGeneratorStatic
}

// AllocatePacketConn listens on the generator's address at the requested
// port and returns the socket and its address with the relay IP.
func (r relayGenerator) AllocatePacketConn(conf turn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	conn, err := r.Net.ListenPacket(conf.Network, net.JoinHostPort(r.Address, strconv.Itoa(conf.RequestedPort)))
	if err != nil {
		return nil, nil, err
	}
	local, ok := conn.LocalAddr().(*net.UDPAddr)
	if !ok {
		_ = conn.Close()
		return nil, nil, fmt.Errorf("natlab: relay socket address %v is not UDP", conn.LocalAddr())
	}
	return conn, &net.UDPAddr{IP: append(net.IP(nil), r.RelayAddress...), Port: local.Port, Zone: local.Zone}, nil
}
