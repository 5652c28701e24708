package bench

import (
	"fmt"

	"github.com/parley-voice/parley/bench/pesq"
	"github.com/parley-voice/parley/codec"
)

// Quality is the speech quality of a received signal against the sent one.
type Quality struct {
	WB    float64 // PESQ-WB MOS-LQO (P.862.2, Corrigendum 2)
	NB    float64 // PESQ-NB MOS-LQO (P.862.1)
	NBRaw float64 // P.862 raw score
}

// PESQRateHz is the rate both signals are resampled to for scoring (the wideband rate).
const PESQRateHz = 16000

// Score resamples sent and received (48 kHz) to 16 kHz and scores them with PESQ, wideband and
// narrowband.
func Score(sent, received []float32) (Quality, error) { return ScoreAt(sent, received, SampleRateHz) }

// ScoreAt is Score for signals at rateHz (8000 to 48000).
func ScoreAt(sent, received []float32, rateHz int) (Quality, error) {
	ref, err := codec.Resample(sent, rateHz, PESQRateHz)
	if err != nil {
		return Quality{}, fmt.Errorf("bench: %w", err)
	}
	deg, err := codec.Resample(received, rateHz, PESQRateHz)
	if err != nil {
		return Quality{}, fmt.Errorf("bench: %w", err)
	}
	wb, err := pesq.Score(ref, deg, PESQRateHz, pesq.Options{Mode: pesq.Wideband})
	if err != nil {
		return Quality{}, fmt.Errorf("bench: PESQ-WB: %w", err)
	}
	nb, err := pesq.Score(ref, deg, PESQRateHz, pesq.Options{Mode: pesq.Narrowband})
	if err != nil {
		return Quality{}, fmt.Errorf("bench: PESQ-NB: %w", err)
	}
	return Quality{WB: wb.MOSLQO, NB: nb.MOSLQO, NBRaw: nb.Raw}, nil
}
