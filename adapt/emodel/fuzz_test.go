package emodel

import (
	"math"
	"testing"
	"time"
)

// FuzzScore feeds arbitrary inputs to Score, and the table lookup, slope and burst helpers: they
// must never panic, and a successful score must be finite and within the model's bounds.
func FuzzScore(f *testing.F) {
	f.Add(int(Wideband), int64(150*time.Millisecond), 0.01, 1.0, 20.2, 11.28, 0.0, 25000, int(VBR))
	f.Add(int(Narrowband), int64(0), 0.0, 0.0, 0.0, 1.0, 0.0, 6000, int(CBR))
	f.Add(int(SuperWideband), int64(-1), math.NaN(), 0.5, -1.0, 0.0, 21.0, -1, 0)
	f.Add(int(Wideband), int64(math.MaxInt64), 1.0, math.MaxFloat64, 0.0, 1.0, 0.0, 0, 1)
	f.Add(0, int64(math.MaxInt64), 1.0, math.Inf(1), 129.0, 1.0, 20.0, math.MaxInt, 3)
	f.Fuzz(func(t *testing.T, band int, ta int64, loss, burst, ie, bpl, a float64, bps, rc int) {
		in := Input{Band: Band(band), MouthToEar: time.Duration(ta), Loss: loss, BurstRatio: burst,
			Ie: ie, Bpl: bpl, Advantage: a}
		res, err := Score(in)
		if err == nil {
			if !finite(res.R) || res.MOS < 1 || res.MOS > 4.5 || res.R > res.R0+res.Advantage ||
				res.IeEff < ie || res.Id < 0 || res.Id > 50 {
				t.Fatalf("%+v: implausible %+v", in, res)
			}
			if _, err := LossSlopePerPercent(in.Band, ie, bpl, loss, burst); err != nil {
				t.Fatalf("slope rejects what Score accepts: %v", err)
			}
		}
		if s := DelaySlopePerMs(in.MouthToEar); !finite(s) || s < 0 {
			t.Fatalf("DelaySlopePerMs(%v) = %v", in.MouthToEar, s)
		}
		im, err := OpusTable().Lookup(RateControl(rc), bps)
		if err == nil {
			if _, err := Score(im.Input(in.MouthToEar, loss, burst)); err == nil &&
				(in.MouthToEar < 0 || !(loss >= 0 && loss <= 1)) {
				t.Fatalf("invalid delay or loss accepted via Impairment.Input")
			}
		}
		_, _ = BurstRatioMarkov(loss, burst)
		_, _ = BurstRatioFromBursts(loss, burst)
		_, _ = PostBufferLoss(loss, burst, ie)
		_ = Band(band).MOS(ie)
	})
}
