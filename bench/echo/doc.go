// Package echo is the audio processing bench behind `parley bench apm`: it runs the call's
// processor (engine/audio/apm, webrtc-audio-processing) over internal/echolab's scenarios —
// real speech through synthetic echo paths, double talk, noise, a mid-run delay change and
// clock drift — and reports ERLE, near-end PESQ-WB during double talk, noise-suppression PESQ-WB
// gains and the CPU per 10 ms frame, as a table and a PNG plot of ERLE over time.
package echo
