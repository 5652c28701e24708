package pesq

import (
	"runtime"
	"sync"
)

// Pair is one comparison for ScoreBatch.
type Pair struct {
	Ref, Deg     []float32 // full scale [-1, 1]
	SampleRateHz int
	Opts         Options
}

// BatchResult is the outcome of one Pair; exactly one of Result and Err is meaningful.
type BatchResult struct {
	Result Result
	Err    error
}

// ScoreBatch scores pairs on up to workers goroutines (workers ≤ 0 means GOMAXPROCS) and
// returns the results in the order of pairs. The pairs' sample slices are only read.
func ScoreBatch(pairs []Pair, workers int) []BatchResult {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(pairs))
	out := make([]BatchResult, len(pairs))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s Scorer
			for i := range next {
				p := pairs[i]
				r, err := s.Score(p.Ref, p.Deg, p.SampleRateHz, p.Opts)
				out[i] = BatchResult{Result: r, Err: err}
			}
		}()
	}
	for i := range pairs {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}
