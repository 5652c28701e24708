// Package apm is the call's audio processing module: acoustic echo cancellation, noise
// suppression, automatic gain control and a high-pass filter on the microphone signal, over
// Debian's webrtc-audio-processing 0.3 (the same library PulseAudio's and PipeWire's
// echo-cancel modules use) through a small C++ shim and cgo.
//
// A Processor sees two streams in 10 ms frames: the far-end signal as it is played (the reverse
// stream, AnalyzeReverse) and the microphone (the capture stream, ProcessCapture, cleaned in
// place). The echo canceller is delay-agnostic (it estimates the playout-to-capture delay
// itself) with webrtc's extended filter; SetDelay reports the delay the caller knows, as a
// starting point. Nothing allocates per frame.
//
// The echo scenarios that measure it (real speech through a synthetic room, double talk,
// noise, delay change and clock drift) are in internal/echolab; `parley bench apm` reports them.
package apm
