// Package adapt holds Parley's network adaptation: receiver-side network features, the learned
// predictor of the next seconds of the link, the quality model (the E-model in adapt/emodel with
// a measured Opus impairment table), the policy that picks bitrate, frame size, FEC and RED depth
// with hysteresis, and the jitter-buffer target controller. Everything here is pure computation:
// the clock is injected, nothing does I/O, and no pion or other project package is imported.
package adapt
