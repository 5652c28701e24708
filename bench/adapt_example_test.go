package bench_test

import (
	"fmt"
	"log"

	"github.com/parley-voice/parley/bench"
)

// Running the side-by-side comparison by hand: every strategy on one link, then the summary and
// adapt against the best baseline on each run.
func ExampleRunJob() {
	clips, err := bench.DefaultClips()
	if err != nil {
		log.Fatal(err)
	}
	link, err := bench.ProfileLink("bursty20")
	if err != nil {
		log.Fatal(err)
	}
	var rows []bench.Row
	for _, st := range []string{bench.StrategyFixedFEC, bench.StrategyWebRTC, bench.StrategyAdapt} {
		r, err := bench.RunJob(bench.Job{Link: link, Clip: clips[0], Seed: 1, Repeat: 2, Strategy: st})
		if err != nil {
			log.Fatal(err)
		}
		rows = append(rows, r)
	}
	for _, s := range bench.Summarize(rows) {
		fmt.Printf("%-12s PESQ-WB %.2f, E-model MOS %.2f, %.1f interruptions/min\n", s.Strategy, s.PESQMean, s.MOSMean, s.InterruptionsPerMin)
	}
	v := bench.CompareRuns(rows, bench.StrategyAdapt, "best baseline")
	fmt.Printf("adapt vs best baseline: %+.2f PESQ-WB\n", v.PESQ)
}

func ExampleOracleGrid() {
	for _, size := range []string{"tiny", "small", "medium", "full"} {
		g, err := bench.OracleGrid(size)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(size, len(g), g[0])
	}
	// Output:
	// tiny 6 32k fec 40ms
	// small 18 24k fec 40ms
	// medium 36 16k 40ms
	// full 72 16k 40ms
}
