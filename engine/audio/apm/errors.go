package apm

import (
	"errors"
	"fmt"
)

var (
	// ErrSampleRate is returned by New for a rate webrtc's APM does not run at (it takes 8000,
	// 16000, 32000 or 48000 Hz).
	ErrSampleRate = errors.New("apm: sample rate must be 8000, 16000, 32000 or 48000 Hz")
	// ErrFrameSize is returned for a frame that is not a whole number of 10 ms frames.
	ErrFrameSize = errors.New("apm: frame is not a whole number of 10 ms frames")
	// ErrClosed is returned by every method of a closed Processor.
	ErrClosed = errors.New("apm: processor closed")
	// ErrConfig is returned by New for a setting out of its range.
	ErrConfig = errors.New("apm: bad config")
)

// Error is a failure reported by webrtc's AudioProcessing, with its error code
// (webrtc::AudioProcessing::Error: -1 unspecified … -12 not enabled).
type Error struct {
	Op   string // "new", "reverse" or "capture"
	Code int
}

func (e *Error) Error() string {
	return fmt.Sprintf("apm: webrtc %s failed: %s (%d)", e.Op, codeName(e.Code), e.Code)
}

func codeName(c int) string {
	switch c {
	case -1:
		return "unspecified error"
	case -2:
		return "creation failed"
	case -3:
		return "unsupported component"
	case -4:
		return "unsupported function"
	case -5:
		return "null pointer"
	case -6:
		return "bad parameter"
	case -7:
		return "bad sample rate"
	case -8:
		return "bad data length"
	case -9:
		return "bad number of channels"
	case -10:
		return "file error"
	case -11:
		return "stream parameter not set"
	case -12:
		return "not enabled"
	case -13:
		return "bad stream parameter (warning)"
	}
	return "unknown"
}
