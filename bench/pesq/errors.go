package pesq

import "errors"

// Errors returned by Score. They are wrapped with details; test with errors.Is.
var (
	// ErrSampleRate: the sample rate is neither 8000 nor 16000 Hz.
	ErrSampleRate = errors.New("pesq: unsupported sample rate (want 8000 or 16000 Hz)")
	// ErrWidebandRate: wideband (P.862.2) scoring was asked for 8 kHz input.
	ErrWidebandRate = errors.New("pesq: wideband mode needs 16000 Hz input")
	// ErrTooShort: a signal holds less than 1/4 s of audio.
	ErrTooShort = errors.New("pesq: signal shorter than 1/4 s")
	// ErrNoSpeech: no speech activity was found (a silent signal, or no utterance in the
	// reference long enough to align).
	ErrNoSpeech = errors.New("pesq: no speech activity")
	// ErrNonFinite: a sample is NaN or ±Inf.
	ErrNonFinite = errors.New("pesq: sample is NaN or Inf")
	// ErrOptions: Options holds a Mode or Variant value that is not defined.
	ErrOptions = errors.New("pesq: invalid options")
)
