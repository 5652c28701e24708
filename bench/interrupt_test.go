package bench

import (
	"context"
	"errors"
	"testing"
)

// TestCodecSweepInterrupted: a sweep cancelled after its first run returns the finished cell
// and ErrInterrupted, not nothing.
func TestCodecSweepInterrupted(t *testing.T) {
	clips, err := DefaultClips()
	if err != nil {
		t.Fatal(err)
	}
	clip := clips[0]
	clip.Samples = clip.Samples[:min(len(clip.Samples), 2*SampleRateHz)]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := CodecSweep{
		Configs:    DefaultCodecConfigs()[:3],
		Conditions: DefaultConditions()[:1],
		Clips:      []Clip{clip},
		Seeds:      1,
		Workers:    1,
		Progress:   func(done, _ int) { cancel() },
	}
	rows, err := s.Run(ctx)
	if !errors.Is(err, ErrInterrupted) || !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted sweep: %v, want ErrInterrupted and context.Canceled", err)
	}
	// One worker: the run under way when the first ended may finish too, never the third.
	if len(rows) < 1 || len(rows) > 2 || rows[0].Config != s.Configs[0].Name {
		t.Fatalf("interrupted sweep kept %+v, want the first one or two configs' cells", rows)
	}
	for _, r := range rows {
		if r.Runs != 1 {
			t.Errorf("kept a cell with %d runs, want only finished cells (1 run each)", r.Runs)
		}
	}
}
