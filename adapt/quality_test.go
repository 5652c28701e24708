package adapt

import (
	"testing"
	"time"

	"github.com/parley-voice/parley/adapt/emodel"
)

func TestQualityDefaultIsRefit(t *testing.T) {
	q, err := NewQuality(nil, DefaultFixedDelay)
	if err != nil {
		t.Fatal(err)
	}
	if v := q.TableVersion(); v != emodel.ParleyOpusTableVersion {
		t.Errorf("default quality model over %q, want the refit table %q", v, emodel.ParleyOpusTableVersion)
	}
	old, err := NewQuality(emodel.OpusTable(), DefaultFixedDelay)
	if err != nil {
		t.Fatal(err)
	}
	if v := old.TableVersion(); v != emodel.OpusTableVersion {
		t.Errorf("quality over OpusTable reports %q", v)
	}
	if _, err := NewRefitQuality(nil, 0); err == nil {
		t.Error("nil refit table accepted")
	}
	if _, err := NewQuality(nil, -time.Millisecond); err == nil {
		t.Error("negative fixed delay accepted")
	}
}

// TestRefitQualityRecovery checks the refit model's shape: on bursty loss RED with copies
// that arrive in time beats no RED; a jitter target too short for the copies loses the gain;
// loss costs quality; a longer buffer costs delay.
func TestRefitQualityRecovery(t *testing.T) {
	q, err := NewQuality(nil, DefaultFixedDelay)
	if err != nil {
		t.Fatal(err)
	}
	bursty := Conditions{OneWay: 40 * ms, Loss: 0.2, MeanBurst: 2.5, DelayP50: 3 * ms, DelayP95: 10 * ms, DelayP99: 15 * ms}
	plain := Settings{BitrateBps: 12000, Frame: 40 * ms, JitterTarget: 120 * ms}
	red := plain
	red.REDDepth = 2
	rp, rr := q.Score(&plain, &bursty), q.Score(&red, &bursty)
	if rr.R < rp.R+10 {
		t.Errorf("20 %% bursty loss: RED 2 R %.1f vs plain %.1f, want ≥ 10 better", rr.R, rp.R)
	}
	short := red
	short.JitterTarget = 30 * ms // less than one 40 ms frame: no copy arrives in time
	plainShort := plain
	plainShort.JitterTarget = short.JitterTarget
	if rs, ps := q.Score(&short, &bursty), q.Score(&plainShort, &bursty); rs.R > ps.R+0.5 {
		t.Errorf("RED copies that cannot arrive in time still gain: R %.1f vs plain %.1f", rs.R, ps.R)
	}
	clean := bursty
	clean.Loss = 0
	if c := q.Score(&plain, &clean); c.R <= rp.R || c.MOS < 4 {
		t.Errorf("no loss scores %.1f (MOS %.2f), lossy %.1f", c.R, c.MOS, rp.R)
	}
	long := plain
	long.JitterTarget = 300 * ms
	if l := q.Score(&long, &clean); l.R >= q.Score(&plain, &clean).R || l.MouthToEar != DefaultFixedDelay+40*ms+40*ms+300*ms {
		t.Errorf("a longer buffer costs nothing: %+v", l)
	}
	for _, s := range []Settings{plain, red} {
		if !q.Covers(&s) {
			t.Errorf("refit table does not cover %+v", s)
		}
	}
	odd := Settings{BitrateBps: 12000, Frame: 30 * ms}
	if q.Covers(&odd) {
		t.Error("refit table covers 30 ms frames")
	}
	if sc := q.Score(&odd, &bursty); sc.MOS != 1 {
		t.Errorf("uncovered setting scored %+v", sc)
	}
}
