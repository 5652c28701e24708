package bench

import "errors"

// Sentinel errors, wrapped with detail; test with errors.Is.
var (
	// ErrConfig is returned for a pipeline or sweep configuration that cannot run (bad frame
	// size, RED depth, delay, empty speech, ...). The message names the field.
	ErrConfig = errors.New("bench: bad configuration")

	// ErrInterrupted reports a sweep stopped by its context; the rows returned with it are
	// those of the cells whose runs all finished.
	ErrInterrupted = errors.New("bench: interrupted")
)
