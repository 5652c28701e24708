package audio

import "errors"

// ErrFormat is returned for audio that cannot be used as given: a WAV file that is missing,
// does not decode, or has a rate that cannot be resampled. It wraps the codec error.
var ErrFormat = errors.New("audio: unsupported audio")

// ErrClosed is returned by a WAVWriter's Write after Close.
var ErrClosed = errors.New("audio: writer closed")
