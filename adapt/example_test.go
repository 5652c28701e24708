package adapt_test

import (
	"fmt"
	"time"

	"github.com/parley-voice/parley/adapt"
)

// A receiver feeds every packet to a Tracker; every half second the controller decides.
func ExampleController() {
	c, err := adapt.NewController(nil, adapt.PolicyConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	const frame = 20 * time.Millisecond
	var d adapt.Decision
	for i := range 500 {
		send := time.Duration(i) * frame
		c.Tracker.OnSend(send, 130)
		if i%10 < 8 { // 20 % loss in bursts of two
			c.Tracker.OnPacket(send+40*time.Millisecond, send, uint16(i), 130)
		}
		if i%25 == 24 {
			c.Tracker.OnRTT(send, 80*time.Millisecond)
			d = c.Decide(send)
		}
	}
	fmt.Printf("fallback %v, RED depth ≥ 2: %v\n", d.Fallback, d.REDDepth >= 2)
	// Output: fallback false, RED depth ≥ 2: true
}

// Quality scores one setting under given conditions with the E-model and the refit Opus table.
func ExampleQuality_Score() {
	q, _ := adapt.NewQuality(nil, adapt.DefaultFixedDelay)
	s := adapt.Settings{BitrateBps: 24000, Frame: 20 * time.Millisecond, JitterTarget: 40 * time.Millisecond}
	c := adapt.Conditions{OneWay: 50 * time.Millisecond, Loss: 0.01, MeanBurst: 1}
	sc := q.Score(&s, &c)
	fmt.Printf("mouth-to-ear %v, MOS %.2f\n", sc.MouthToEar, sc.MOS)
	// Output: mouth-to-ear 140ms, MOS 4.25
}
