package bench

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

func TestForEach(t *testing.T) {
	out := make([]int, 100)
	if err := ForEach(context.Background(), len(out), 3, func(_ context.Context, i int) error {
		out[i] = i * i
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if v != i*i {
			t.Fatalf("out[%d] = %d", i, v)
		}
	}

	// The first error is returned and stops new calls.
	boom := errors.New("boom")
	var calls atomic.Int64
	err := ForEach(context.Background(), 1000, 1, func(ctx context.Context, i int) error {
		calls.Add(1)
		if i == 5 {
			return boom
		}
		return ctx.Err()
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
	if n := calls.Load(); n > 10 {
		t.Errorf("%d calls after an error at call 6 with one worker", n)
	}

	// A cancelled context is reported even when no call failed.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ForEach(ctx, 10, 2, func(context.Context, int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err %v", err)
	}
}
