// Package audio holds the engine's audio endpoints: the Source and Sink interfaces a call reads
// its microphone audio from and writes its received audio to, and the portable implementations
// (WAV files, a tone, silence, an in-memory recorder). Device audio (PortAudio) lives in
// engine/audio/portaudio, the only package here that uses cgo.
//
// All audio is mono float32 in [-1, 1] at SampleRateHz (48 kHz), the rate of the call path.
// Sources are pulled and sinks are pushed by the engine's own clocks (one frame per frame
// duration, 10 ms chunks of playout), so file endpoints run in real time inside a call.
package audio
