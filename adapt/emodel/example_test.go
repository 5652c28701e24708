package emodel_test

import (
	"fmt"
	"time"

	"github.com/parley-voice/parley/adapt/emodel"
)

// Example shows the live call-quality estimate the engine computes every second or two: the
// mouth-to-ear delay from RTT/2 plus jitter-buffer and device latency, the post-jitter-buffer
// loss and its burstiness from the receiver's counters, and the current Opus mode.
func Example() {
	rtt := 180 * time.Millisecond
	jitterBuffer := 40 * time.Millisecond
	codecAndDevice := 20*time.Millisecond + 5*time.Millisecond + 15*time.Millisecond // frame, look-ahead, device
	mouthToEar := rtt/2 + jitterBuffer + codecAndDevice

	// Of the packets sent in the window: 3 % lost on the network, 1 % arrived too late, and FEC
	// recovered 1.5 %; the losses came in bursts of 2 packets on average.
	loss, err := emodel.PostBufferLoss(0.03, 0.01, 0.015)
	if err != nil {
		panic(err)
	}
	burst, err := emodel.BurstRatioFromBursts(loss, 2)
	if err != nil {
		panic(err)
	}

	codec, err := emodel.OpusTable().Lookup(emodel.VBR, 24000)
	if err != nil {
		panic(err)
	}
	res, err := emodel.Score(codec.Input(mouthToEar, loss, burst))
	if err != nil {
		panic(err)
	}
	fmt.Printf("Ta %v, loss %.1f %%, BurstR %.2f, Opus %v %v %d kb/s\n", mouthToEar, 100*loss, burst,
		codec.Band, codec.RateControl, codec.BitrateBps/1000)
	fmt.Println(res)
	// Output:
	// Ta 170ms, loss 2.5 %, BurstR 1.95, Opus SWB VBR 24 kb/s
	// SWB R=81.8 MOS=3.27 (R0=129 Id=0.77 Ie,eff=46.46 Ppl=2.5% BurstR=1.95)
}

// ExampleScore scores the documented worked example: Opus SWB VBR 25 kb/s, 150 ms, 1 % random
// loss, on the wideband scale.
func ExampleScore() {
	res, err := emodel.Score(emodel.Input{
		Band:       emodel.Wideband,
		MouthToEar: 150 * time.Millisecond,
		Loss:       0.01,
		BurstRatio: 1,
		Ie:         20.20905481,
		Bpl:        11.28,
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("R = %.1f, MOS = %.2f, Id = %.2f, Ie,eff = %.2f\n", res.R, res.MOS, res.Id, res.IeEff)
	// Output: R = 99.8, MOS = 3.92, Id = 0.16, Ie,eff = 29.07
}

// ExampleDelaySlopePerMs prices extra jitter-buffer delay against late loss: how many
// milliseconds of mouth-to-ear delay one percent of late loss is worth at a given delay.
func ExampleDelaySlopePerMs() {
	codec, _ := emodel.OpusTable().Lookup(emodel.VBR, 25000)
	lossCost, _ := emodel.LossSlopePerPercent(codec.Band, codec.Ie, codec.BplRandom, 0.005, 1)
	for _, ta := range []time.Duration{150, 250, 350, 450} {
		ta *= time.Millisecond
		delayCost := emodel.DelaySlopePerMs(ta)
		fmt.Printf("Ta %v: delay %.3f R/ms, 1 %% late loss %.1f R = %.0f ms\n", ta, delayCost,
			lossCost, lossCost/delayCost)
	}
	// Output:
	// Ta 150ms: delay 0.016 R/ms, 1 % late loss 8.8 R = 557 ms
	// Ta 250ms: delay 0.123 R/ms, 1 % late loss 8.8 R = 72 ms
	// Ta 350ms: delay 0.093 R/ms, 1 % late loss 8.8 R = 95 ms
	// Ta 450ms: delay 0.065 R/ms, 1 % late loss 8.8 R = 135 ms
}

// ExampleNewTable supplies an alternative impairment table, as the adaptation bench does after
// refitting Ie and Bpl from PESQ sweeps.
func ExampleNewTable() {
	tab, err := emodel.NewTable("pesq-sweep-example", []emodel.Entry{
		{Band: emodel.Wideband, RateControl: emodel.VBR, BitrateBps: 16000, Ie: 14, BplRandom: 12, BplBursty: 10},
		{Band: emodel.Wideband, RateControl: emodel.VBR, BitrateBps: 24000, Ie: 8, BplRandom: 13, BplBursty: 11},
	})
	if err != nil {
		panic(err)
	}
	im, _ := tab.Lookup(emodel.VBR, 20000)
	fmt.Printf("%s: %v %v %d b/s Ie %.1f Bpl %.1f/%.1f clamped=%v\n", tab.Version(), im.Band,
		im.RateControl, im.BitrateBps, im.Ie, im.BplRandom, im.BplBursty, im.Clamped)

	_, err = emodel.NewTable("bad", []emodel.Entry{{Band: emodel.Wideband, RateControl: emodel.VBR,
		BitrateBps: 16000, Ie: 14, BplRandom: 0.5, BplBursty: 10}})
	fmt.Println(err)
	// Output:
	// pesq-sweep-example: WB VBR 20000 b/s Ie 11.0 Bpl 12.5/10.5 clamped=false
	// emodel: invalid or incomplete impairment table: entry 0: emodel: packet-loss robustness Bpl must be at least 1: Bpl (random) = 0.5
}

// ExampleTable_BandFor shows the band rule of the default Opus table.
func ExampleTable_BandFor() {
	tab := emodel.OpusTable()
	for _, kbps := range []int{8, 12, 16, 32} {
		vbr, _ := tab.BandFor(emodel.VBR, 1000*kbps)
		cbr, _ := tab.BandFor(emodel.CBR, 1000*kbps)
		fmt.Printf("%2d kb/s: VBR %v, CBR %v\n", kbps, vbr, cbr)
	}
	// Output:
	//  8 kb/s: VBR NB, CBR NB
	// 12 kb/s: VBR WB, CBR WB
	// 16 kb/s: VBR SWB, CBR SWB
	// 32 kb/s: VBR SWB, CBR SWB
}

// ExampleBurstRatioMarkov derives BurstR from a Gilbert loss model's transition probabilities.
func ExampleBurstRatioMarkov() {
	b, _ := emodel.BurstRatioMarkov(0.02, 0.4) // P(loss | received), P(received | loss)
	fmt.Printf("BurstR %.2f\n", b)
	// Output: BurstR 2.38
}
