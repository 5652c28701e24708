package netem_test

import (
	"context"
	"fmt"
	"time"

	"github.com/pion/transport/v5/stdnet"

	"github.com/parley-voice/parley/internal/netem"
)

// A voice stream through a bursty-loss, rate-limited link, in virtual time.
func ExampleLink() {
	cfg := netem.LinkConfig{
		Loss:     netem.LossConfig{Model: netem.LossGilbertElliott, Rate: 0.1, MeanBurst: 2.5},
		Delay:    netem.DelayConfig{Base: 40 * time.Millisecond},
		Capacity: netem.CapacityConfig{RateBps: 64_000, QueueDelay: 200 * time.Millisecond},
	}
	link, err := netem.NewLink(cfg, 1)
	if err != nil {
		panic(err)
	}
	var lost int
	for i := range 1000 {
		d := link.Send(time.Duration(i)*20*time.Millisecond, 100) // 40 kbit/s of 20 ms packets
		if d.Dropped {
			lost++
		}
	}
	first := link.Send(20*time.Second, 100)
	fmt.Println(lost > 50 && lost < 150, first.At-20*time.Second)
	// Output: true 52.5ms
}

func ExampleProfile() {
	cfg, err := netem.Profile("satellite")
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Delay.Base, cfg.Capacity.RateBps)
	// Output: 300ms 5000000
}

// Wrap a pion network so that everything an in-process pion agent sends crosses a 3G uplink
// and everything it receives a 3G downlink, in real time.
func ExampleNewNet() {
	up, _ := netem.Profile("3g")
	down, _ := netem.Profile("3g")
	inner, err := stdnet.NewNet()
	if err != nil {
		panic(err)
	}
	nw, err := netem.NewNet(inner, netem.NetConfig{Egress: up, Ingress: down, Seed: 7})
	if err != nil {
		panic(err)
	}
	defer nw.Close()
	// Pass nw as the transport.Net of pion (webrtc.SettingEngine.SetNet, ice.AgentConfig.Net,
	// turn.ClientConfig.Net, ...).
	conn, err := nw.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	fmt.Println(conn.LocalAddr().Network())
	// Output: udp
}

// Put an external program behind an LTE link: clients talk to the proxy's address instead of
// the server's.
func ExampleNewProxy() {
	lte, _ := netem.Profile("lte")
	p, err := netem.NewProxy(netem.ProxyConfig{Listen: "127.0.0.1:0", To: "127.0.0.1:3478", Up: lte, Down: lte, Seed: 1})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a real caller cancels on Ctrl-C
	fmt.Println(p.Run(ctx))
	// Output: <nil>
}
