package natlab_test

import (
	"fmt"

	"github.com/pion/ice/v4"

	"github.com/parley-voice/parley/internal/natlab"
)

// A lab with one peer behind a symmetric NAT and one public host. Hand
// Peer.Net and Peer.URLs to pion (ice.AgentConfig{Net: p.Net(), Urls: urls}
// or webrtc.SettingEngine.SetNet) to run ICE across it.
func ExampleNew() {
	lab, err := natlab.New(natlab.Config{Peers: []natlab.PeerConfig{
		{Name: "alice", NAT: natlab.Symmetric},
		{Name: "bob", NAT: natlab.NoNAT},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer lab.Close()
	for _, p := range lab.Peers() {
		fmt.Printf("%s %v local=%v public=%v\n", p.Name, p.NAT, p.LocalIP, p.PublicIP)
	}
	fmt.Println(lab.STUNURL())
	fmt.Println(lab.TURNURLs())
	alice, _ := lab.Peer("alice")
	urls, _ := alice.URLs()
	fmt.Println(len(urls), urls[1].Username != "")
	// Output:
	// alice symmetric local=10.0.1.2 public=198.51.100.1
	// bob no-nat local=198.51.100.2 public=198.51.100.2
	// stun:203.0.113.1:3478
	// [turn:203.0.113.1:3478?transport=udp turn:203.0.113.1:3478?transport=tcp]
	// 3 true
}

// Giving a lab peer to a pion ICE agent: its Net carries all traffic
// through the lab, its URLs carry the lab's STUN and TURN servers with
// fresh credentials. (For webrtc, use SettingEngine.SetNet(p.Net()) and
// ICEServers built from Lab.STUNURL, Lab.TURNURLs and Lab.Credentials.)
func ExamplePeer_Net() {
	lab, err := natlab.New(natlab.Config{Peers: []natlab.PeerConfig{{Name: "alice", NAT: natlab.UDPBlocked}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer lab.Close()
	alice, _ := lab.Peer("alice")
	urls, err := alice.URLs()
	if err != nil {
		fmt.Println(err)
		return
	}
	agent, err := ice.NewAgent(&ice.AgentConfig{
		Net:              alice.Net(),
		Urls:             urls,
		NetworkTypes:     []ice.NetworkType{ice.NetworkTypeUDP4, ice.NetworkTypeTCP4}, // TCP4 for TURN over TCP
		MulticastDNSMode: ice.MulticastDNSModeDisabled,
		DisableActiveTCP: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer agent.Close()
	// ... OnCandidate, GatherCandidates, Dial or Accept as usual.
}
