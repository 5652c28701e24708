// Package apm is the call's audio processing module: acoustic echo cancellation, noise
// suppression, automatic gain control and a DC blocker on the microphone signal, over
// Debian's webrtc-audio-processing 0.3 (the same library PulseAudio's and PipeWire's
// echo-cancel modules use) and speexdsp, through a small C++ shim and cgo.
//
// A Processor sees two streams in 10 ms frames: the far-end signal as it is played (the reverse
// stream, AnalyzeReverse) and the microphone (the capture stream, ProcessCapture, cleaned in
// place). The default echo canceller (CancellerHybrid) is two stages. speexdsp's MDF linear
// filter, run on the 0–8 kHz band at 16 kHz, estimates the echo and subtracts it: it leaves
// the near-end voice intact but some 20 dB of echo remains. speexdsp's residual echo
// suppressor (its preprocessor fed the filter's state) then pulls down what the filter says
// is left, by up to 40 dB, but only 6 dB while the near end talks; everything the two remove
// in the band is removed at the stream's rate as one estimate, so the band above 8 kHz passes
// untouched. The suppressor returns each frame 10 ms late (overlap-add), and the microphone's
// path waits to match: the stage delays the capture stream by 13 ms at 48 kHz (3 ms without
// the suppressor, Config.NoEchoResidual). webrtc's AEC (delay-agnostic, with the extended filter, at low suppression)
// removes what is left; its non-linear suppressor also cuts the near end in double talk, but
// much less than when it faces the whole echo (CancellerWebRTC, webrtc alone). `parley bench
// apm` has the figures of both. When the echo path moves (a new device delay) the linear
// filter's old estimate adds a second echo; once its output stays louder than its input for
// 100 ms after it had converged, it is reset and converges again (Stats.EchoResets).
//
// A 10 Hz DC blocker runs first on the microphone. webrtc's 80 Hz high-pass filter
// (Config.HighPass) cost clean wideband speech 0.06 PESQ-WB and helped none of the stages
// measurably; the Opus encoder high-passes speech itself in its VoIP mode.
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
