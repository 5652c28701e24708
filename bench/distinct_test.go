package bench

import "testing"

func TestDistinctRuns(t *testing.T) {
	row := func(link string, seed uint64, st string, pesq float64) Row {
		return Row{Profile: link, Clip: "c", Strategy: st, Seed: seed, RunMetrics: RunMetrics{PESQ: pesq}}
	}
	rows := []Row{
		row("a", 1, "x", 3.1), row("a", 1, "y", 3.2),
		row("a", 2, "x", 3.1), row("a", 2, "y", 3.2), // seed 2 repeats seed 1
		row("a", 3, "x", 3.1), row("a", 3, "y", 3.3), // differs in one strategy: distinct
		row("b", 1, "x", 3.1), row("b", 1, "y", 3.2), // another link: distinct
	}
	kept, dropped := DistinctRuns(rows)
	if dropped != 2 || len(kept) != 6 {
		t.Fatalf("dropped %d, kept %d rows; want 2 and 6", dropped, len(kept))
	}
	for _, r := range kept {
		if r.Profile == "a" && r.Seed == 2 {
			t.Fatalf("kept a repeated run: %+v", r)
		}
	}
}
