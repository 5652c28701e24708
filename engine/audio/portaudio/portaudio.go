// Package portaudio is the engine's device audio: the default microphone as an audio.Source
// and the default speaker as an audio.Sink, through the PortAudio library (cgo; Debian's
// portaudio19-dev). With engine/audio/apm it is one of the engine's two cgo packages.
//
// Streams are 48 kHz mono float32, opened with PortAudio's blocking API: Microphone.Read
// blocks until the device has captured the samples asked for, Speaker.Write until the device
// has room, so the device clock paces them. On a machine without a sound card Open* returns an
// error wrapping ErrNoDevice; callers should say so and suggest WAV files.
package portaudio

/*
#cgo pkg-config: portaudio-2.0 alsa jack
#include <portaudio.h>
#include <stdlib.h>
#include <alsa/asoundlib.h>
#include <jack/jack.h>

// ALSA and JACK print their probing failures (no card, no server) on stderr; PortAudio turns
// them into error codes we report, so their own messages are silenced.
static void parley_alsa_quiet(const char *file, int line, const char *fn, int err, const char *fmt, ...) {}
static void parley_jack_quiet(const char *msg) {}
static void parley_quiet(void) {
	snd_lib_error_set_handler(parley_alsa_quiet);
	jack_set_error_function(parley_jack_quiet);
	jack_set_info_function(parley_jack_quiet);
}

static PaError parley_open(void **s, int in, int out, double rate, unsigned long frames) {
	return Pa_OpenDefaultStream(s, in, out, paFloat32, rate, frames, NULL, NULL);
}
*/
import "C"

import (
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/parley-voice/parley/engine/audio"
)

var quiet sync.Once

// chunkFrames is PortAudio's buffer size: 10 ms at 48 kHz.
const chunkFrames = audio.SampleRateHz / 100

func paErr(op string, e C.PaError) error {
	return fmt.Errorf("%w: %s: %s", ErrPortAudio, op, C.GoString(C.Pa_GetErrorText(e)))
}

// stream is one open PortAudio stream. mu serialises use and Close.
type stream struct {
	mu sync.Mutex
	s  unsafe.Pointer // PaStream*
}

func open(input bool) (*stream, error) {
	quiet.Do(func() { C.parley_quiet() })
	if e := C.Pa_Initialize(); e != C.paNoError {
		return nil, fmt.Errorf("%w (%w)", ErrNoDevice, paErr("initialize", e))
	}
	dev := C.Pa_GetDefaultOutputDevice()
	in, out := C.int(0), C.int(1)
	if input {
		dev, in, out = C.Pa_GetDefaultInputDevice(), 1, 0
	}
	if dev == C.paNoDevice {
		C.Pa_Terminate()
		return nil, ErrNoDevice
	}
	st := &stream{}
	if e := C.parley_open(&st.s, in, out, C.double(audio.SampleRateHz), chunkFrames); e != C.paNoError {
		C.Pa_Terminate()
		return nil, fmt.Errorf("%w (%w)", ErrNoDevice, paErr("open", e))
	}
	if e := C.Pa_StartStream(st.s); e != C.paNoError {
		C.Pa_CloseStream(st.s)
		C.Pa_Terminate()
		return nil, paErr("start", e)
	}
	return st, nil
}

// latency is the stream's input or output latency as PortAudio reports it.
func (st *stream) latency(input bool) time.Duration {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.s == nil {
		return 0
	}
	info := C.Pa_GetStreamInfo(st.s)
	if info == nil {
		return 0
	}
	sec := float64(info.outputLatency)
	if input {
		sec = float64(info.inputLatency)
	}
	return time.Duration(sec * float64(time.Second))
}

func (st *stream) close() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.s == nil {
		return nil
	}
	C.Pa_StopStream(st.s)
	e := C.Pa_CloseStream(st.s)
	st.s = nil
	C.Pa_Terminate()
	if e != C.paNoError {
		return paErr("close", e)
	}
	return nil
}

// Microphone is the default input device as an audio.Source. Safe for concurrent use.
type Microphone struct{ st *stream }

// OpenMicrophone opens and starts the default input device (48 kHz mono).
func OpenMicrophone() (*Microphone, error) {
	st, err := open(true)
	if err != nil {
		return nil, err
	}
	return &Microphone{st: st}, nil
}

// Read blocks until len(p) samples were captured. An input overflow (samples the device
// dropped because Read came late) is not an error.
func (m *Microphone) Read(p []float32) (int, error) {
	m.st.mu.Lock()
	defer m.st.mu.Unlock()
	if m.st.s == nil {
		return 0, ErrClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	e := C.Pa_ReadStream(m.st.s, unsafe.Pointer(&p[0]), C.ulong(len(p)))
	if e != C.paNoError && e != C.paInputOverflowed {
		return 0, paErr("read", e)
	}
	return len(p), nil
}

// Close stops the device. Idempotent.
func (m *Microphone) Close() error { return m.st.close() }

// Live reports true: a call processes the microphone by default (echo cancellation, noise
// suppression, gain control).
func (m *Microphone) Live() bool { return true }

// Latency is the input latency PortAudio reports for the stream (zero once closed).
func (m *Microphone) Latency() time.Duration { return m.st.latency(true) }

// Speaker is the default output device as an audio.Sink. Safe for concurrent use.
type Speaker struct{ st *stream }

// OpenSpeaker opens and starts the default output device (48 kHz mono).
func OpenSpeaker() (*Speaker, error) {
	st, err := open(false)
	if err != nil {
		return nil, err
	}
	return &Speaker{st: st}, nil
}

// Write blocks until the device took p. An output underflow (the device ran dry before Write)
// is not an error.
func (s *Speaker) Write(p []float32) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if s.st.s == nil {
		return ErrClosed
	}
	if len(p) == 0 {
		return nil
	}
	e := C.Pa_WriteStream(s.st.s, unsafe.Pointer(&p[0]), C.ulong(len(p)))
	if e != C.paNoError && e != C.paOutputUnderflowed {
		return paErr("write", e)
	}
	return nil
}

// Close stops the device. Idempotent.
func (s *Speaker) Close() error { return s.st.close() }

// Latency is the output latency PortAudio reports for the stream (zero once closed): part of
// the delay from playing a sample to hearing its echo, a hint for the echo canceller.
func (s *Speaker) Latency() time.Duration { return s.st.latency(false) }

var (
	_ audio.Source = (*Microphone)(nil)
	_ audio.Sink   = (*Speaker)(nil)
)
