package main

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// newProgressBar is the benches' progress bar on w: a count of total runs, a time estimate,
// redrawn at most five times a second and cleared when finished.
// Only a terminal shows it: redirected to a file or a pipe (a CI log, a script) it draws nothing.
func newProgressBar(w io.Writer, total int, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionSetVisibility(isTerminal(w)))
}

// isTerminal reports whether w is a character device (a terminal), not a file, pipe or buffer.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
