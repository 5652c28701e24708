package codec

import "errors"

// Sentinel errors. Functions wrap them with detail (fmt.Errorf("...: %w", Err...)); test with
// errors.Is.
var (
	// ErrWAV is returned for a WAV file that is malformed, truncated or in a format Parley does
	// not read (see ReadWAV for what it accepts).
	ErrWAV = errors.New("codec: bad WAV")
	// ErrSampleRate is returned for a sample rate outside what the operation supports.
	ErrSampleRate = errors.New("codec: unsupported sample rate")
	// ErrFrameSize is returned when a PCM buffer is not exactly one frame of a supported duration
	// (10, 20, 40 or 60 ms), or an output buffer is too small for the frame.
	ErrFrameSize = errors.New("codec: bad frame size")
	// ErrSetting is returned for an encoder setting out of range (bitrate, complexity, loss hint).
	ErrSetting = errors.New("codec: bad encoder setting")
	// ErrRED is returned by UnpackRED for a malformed RED payload, and by PackRED for blocks that
	// cannot be represented (too many, too long, timestamp offset out of range).
	ErrRED = errors.New("codec: bad RED payload")
	// ErrOpus wraps an error reported by libopus itself.
	ErrOpus = errors.New("codec: opus")
	// ErrBuffer is returned when a caller-provided output buffer is too small.
	ErrBuffer = errors.New("codec: buffer too small")
	// ErrUnavailable is returned when a setting needs a libopus feature (Deep PLC, OSCE, DRED)
	// that the linked libopus lacks; Features says what is there. `make` builds libopus 1.5.2
	// with all three (scripts/opus.sh); a plain `go build` links the system libopus.
	ErrUnavailable = errors.New("codec: libopus feature unavailable")
	// ErrNoDRED is returned by Decoder.DecodeDRED when the parsed DRED data does not reach back to
	// the requested frame (or there is none); the caller conceals the frame instead.
	ErrNoDRED = errors.New("codec: no DRED data for that frame")
)
