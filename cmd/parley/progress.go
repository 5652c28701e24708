package main

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// newProgressBar is the benches' progress bar on w: a count of total runs, a time estimate,
// redrawn at most five times a second and cleared when finished.
func newProgressBar(w io.Writer, total int, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(200*time.Millisecond))
}
