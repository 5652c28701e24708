package netem_test

import (
	"fmt"
	"time"

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
