package bench

import (
	"context"
	"runtime"

	"golang.org/x/sync/errgroup"
)

// ForEach calls fn(ctx, i) for i in [0, n) on at most workers goroutines (GOMAXPROCS when
// workers ≤ 0), in no particular order. The first error cancels the ctx passed to the other
// calls, stops starting new ones and is returned; otherwise ForEach returns ctx's error if ctx
// ended before every call was started, else nil. fn must be safe for concurrent use.
func ForEach(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return fn(gctx, i) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}
