// Package apm is the call's audio processing module: acoustic echo cancellation, noise
// suppression, automatic gain control and a high-pass filter on the microphone signal, over
// Debian's webrtc-audio-processing 0.3 (the same library PulseAudio's and PipeWire's
// echo-cancel modules use) and speexdsp, through a small C++ shim and cgo.
//
// A Processor sees two streams in 10 ms frames: the far-end signal as it is played (the reverse
// stream, AnalyzeReverse) and the microphone (the capture stream, ProcessCapture, cleaned in
// place). The default echo canceller (CancellerHybrid) is two stages. speexdsp's MDF linear
// filter, run on the 0–8 kHz band at 16 kHz, estimates the echo and subtracts it: it leaves
// the near-end voice intact but some 20 dB of echo remains. webrtc's AEC (delay-agnostic, with
// the extended filter, at low suppression) then removes what is left; its non-linear
// suppressor also cuts the near end in double talk, but much less than when it faces the
// whole echo (CancellerWebRTC, webrtc alone). `parley bench apm` has the figures of both.
// SetDelay reports the delay the caller knows to webrtc's stage, as a starting point; the
// linear filter models EchoTail of echo after the far-end frame reaches AnalyzeReverse.
//
// Noise suppression (webrtc's, level high by default) pauses while the microphone's noise
// floor is far below its speech (an SNR gate; Config.NoiseAlways turns it off): there it
// costs the voice more than it removes. Nothing allocates per frame.
//
// The echo scenarios that measure it (real speech through a synthetic room, double talk,
// noise, delay change and clock drift) are in internal/echolab; `parley bench apm` reports them.
package apm
