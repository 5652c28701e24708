package engine

import (
	"context"
	"time"
)

// sourceEndPoll is how often a call with Config.HangupAfterSourceEnds looks at its source.
const sourceEndPoll = 50 * time.Millisecond

// hangupAfterSource hangs the call up Config.HangupAfterSourceEnds after its source ended.
// It is not one of the call's goroutines (c.wg): Hangup waits for those.
func (c *Call) hangupAfterSource() {
	t := time.NewTicker(sourceEndPoll)
	defer t.Stop()
	var endedAt time.Time
	for {
		select {
		case <-c.ended:
			return
		case <-t.C:
		}
		if !c.send.sourceDone() {
			continue
		}
		now := c.s.Now()
		if endedAt.IsZero() {
			endedAt = now
			c.log.Info("source ended; hanging up after", "delay", c.s.HangupAfterSourceEnds)
			continue
		}
		if now.Sub(endedAt) >= c.s.HangupAfterSourceEnds {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = c.Hangup(ctx)
			cancel()
			return
		}
	}
}
