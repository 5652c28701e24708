package natlab

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// TestWebRTCOverTURNTCP runs two pion PeerConnections across a lab, the
// way engine tests will: alice is UDP-blocked, bob behind a symmetric NAT,
// so the only path is alice's relay allocated over TURN/TCP. A data channel
// message must make the round trip over DTLS/SCTP on that path.
func TestWebRTCOverTURNTCP(t *testing.T) {
	base := runtime.NumGoroutine()
	lab, err := New(Config{Peers: []PeerConfig{{Name: "alice", NAT: UDPBlocked}, {Name: "bob", NAT: Symmetric}}})
	if err != nil {
		t.Fatal(err)
	}
	alice := newPeerConnection(t, lab, lab.peers[0])
	bob := newPeerConnection(t, lab, lab.peers[1])

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	echoed := make(chan string, 1)
	bob.pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		dc.OnMessage(func(m webrtc.DataChannelMessage) { _ = dc.SendText("echo " + string(m.Data)) })
	})
	dc, err := alice.pc.CreateDataChannel("chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	dc.OnOpen(func() { _ = dc.SendText("hello") })
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		select {
		case echoed <- string(m.Data):
		default:
		}
	})
	if err := negotiate(alice, bob); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-echoed:
		if got != "echo hello" {
			t.Fatalf("got %q", got)
		}
	case <-ctx.Done():
		t.Fatal("no echo before timeout")
	}
	pair, err := alice.pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		t.Fatalf("no selected pair: %v", err)
	}
	if pair.Local.Typ != webrtc.ICECandidateTypeRelay {
		t.Errorf("alice's local candidate %v, want relay", pair.Local)
	}
	t.Logf("alice selected %v → %v", pair.Local, pair.Remote)

	if err := errors.Join(alice.pc.GracefulClose(), bob.pc.GracefulClose(), lab.Close()); err != nil {
		t.Fatal(err)
	}
	waitGoroutines(t, base, 10*time.Second)
}

// rtcPeer is a PeerConnection with trickle ICE buffered until the remote
// description is set.
type rtcPeer struct {
	pc     *webrtc.PeerConnection
	remote *rtcPeer

	mu      sync.Mutex
	ready   bool // remote description set on remote.pc
	pending []webrtc.ICECandidateInit
}

func newPeerConnection(t *testing.T, lab *Lab, p *Peer) *rtcPeer {
	t.Helper()
	var se webrtc.SettingEngine
	se.SetNet(p.Net())
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeTCP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.DisableActiveTCP(true)
	se.SetRelayAcceptanceMinWait(time.Second)
	user, pass, err := lab.Credentials(p.Name)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{
		ICEServers: []webrtc.ICEServer{
			{URLs: []string{lab.STUNURL()}},
			{URLs: lab.TURNURLs(), Username: user, Credential: pass},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &rtcPeer{pc: pc}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if !r.ready {
			r.pending = append(r.pending, c.ToJSON())
			return
		}
		_ = r.remote.pc.AddICECandidate(c.ToJSON()) // fails only once closed
	})
	return r
}

// flush marks r's remote ready and forwards the candidates held back.
func (r *rtcPeer) flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ready = true
	for _, c := range r.pending {
		if err := r.remote.pc.AddICECandidate(c); err != nil {
			return err
		}
	}
	r.pending = nil
	return nil
}

// negotiate runs offer/answer from a to b and starts trickling.
func negotiate(a, b *rtcPeer) error {
	a.remote, b.remote = b, a
	offer, err := a.pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	if err := a.pc.SetLocalDescription(offer); err != nil {
		return err
	}
	if err := b.pc.SetRemoteDescription(offer); err != nil {
		return err
	}
	answer, err := b.pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	if err := b.pc.SetLocalDescription(answer); err != nil {
		return err
	}
	if err := a.pc.SetRemoteDescription(answer); err != nil {
		return err
	}
	return errors.Join(a.flush(), b.flush())
}
