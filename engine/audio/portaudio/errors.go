package portaudio

import "errors"

// Sentinel errors; every error of this package wraps one of them.
var (
	// ErrNoDevice reports that there is no default input or output device (no sound card, or
	// no permission to use it).
	ErrNoDevice = errors.New("portaudio: no audio device (no sound card?); use WAV files instead")
	// ErrPortAudio wraps an error reported by PortAudio.
	ErrPortAudio = errors.New("portaudio: error")
	// ErrClosed reports use of a closed stream.
	ErrClosed = errors.New("portaudio: stream closed")
)
