package adapt

import "errors"

// Sentinel errors. Every error returned by this package wraps one of them (test with errors.Is);
// messages start with "adapt: " and name the offending field.
var (
	// ErrConfig is returned for a configuration value out of range (a negative capacity, a
	// bitrate outside 6–64 kb/s, a hysteresis margin below zero, ...).
	ErrConfig = errors.New("adapt: invalid configuration")
	// ErrModel is returned for model weights that do not decode or do not match the feature
	// layout (wrong magic, version, sizes, or a non-finite weight).
	ErrModel = errors.New("adapt: invalid model")
	// ErrTraining is returned when training cannot run (no samples, too few for the held-back
	// slice, a non-finite loss).
	ErrTraining = errors.New("adapt: training failed")
)
