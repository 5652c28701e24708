package audio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/parley-voice/parley/codec"
)

// WAV stream constants: 16-bit PCM, mono, 48 kHz, in a canonical 44-byte header.
const (
	wavHeaderBytes = 44
	wavSampleBytes = 2
	// wavStreamSize is the RIFF and data size written to an output that cannot seek back (a
	// pipe): "unknown, read to the end", as sox and ffmpeg write and read it.
	wavStreamSize = 0xFFFFFFFF
	// wavFixEvery is how many samples may be written between two header updates of a file
	// (1 s at 48 kHz): a process killed mid-call leaves a playable file missing at most this
	// much from its header's count (the samples themselves are on disk).
	wavFixEvery = SampleRateHz
	// wavMaxSamples bounds a recording so that its sizes fit the 32-bit RIFF fields.
	wavMaxSamples = (0xFFFFFFFF - wavHeaderBytes) / wavSampleBytes
)

// WAVWriter is a Sink recording to a WAV file (16-bit PCM, 48 kHz mono) as the call goes: the
// samples are written through a small buffer and the header's sizes are brought up to date
// every second of audio and at Close, so a recording cut short by a crash or a kill is still
// a playable file. The file is created at the first Write: a call that never played a sample
// (unanswered, answered on another device) leaves no file.
//
// Create it with NewWAVWriter (a file) or NewWAVStream (any writer, e.g. standard output).
// Safe for concurrent use; Write does not allocate.
type WAVWriter struct {
	// Immutable after construction.
	path string    // NewWAVWriter: the file to create at the first Write
	max  int       // samples; beyond it later audio is dropped
	out  io.Writer // NewWAVStream: the destination

	// mu guards the following.
	mu      sync.Mutex
	f       *os.File // the file, once created
	dst     io.Writer
	bw      *bufio.Writer
	pcm     []int16
	bytes   []byte
	n       int // samples written
	unfixed int // samples since the last header update
	started bool
	closed  bool
	err     error // the first write error; Write and Close return it from then on
}

// NewWAVWriter returns a sink that records to path, creating (or replacing) it at the first
// Write. maxSamples bounds the recording in samples (zero: up to the 4 GiB a WAV file holds,
// about 12 hours).
func NewWAVWriter(path string, maxSamples int) *WAVWriter {
	return &WAVWriter{path: path, max: wavMax(maxSamples)}
}

// NewWAVStream returns a sink writing a WAV stream to w, starting at the first Write. If w is
// an *os.File that can seek (a regular file), the header is kept up to date as with
// NewWAVWriter; otherwise (a pipe, a terminal, a buffer) the header says "size unknown"
// (0xFFFFFFFF), which sox, ffmpeg and codec.ReadWAV read to the end of the stream. Close
// flushes but does not close w.
func NewWAVStream(w io.Writer, maxSamples int) *WAVWriter {
	return &WAVWriter{out: w, max: wavMax(maxSamples)}
}

func wavMax(n int) int {
	if n <= 0 || n > wavMaxSamples {
		return wavMaxSamples
	}
	return n
}

// Path returns the file the writer records to ("" for a stream).
func (w *WAVWriter) Path() string { return w.path }

// Samples returns how many samples have been recorded so far.
func (w *WAVWriter) Samples() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// Started reports whether anything was recorded (and so whether the file exists).
func (w *WAVWriter) Started() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.started
}

// Write records p. After Close, or after a write error, it returns that error (ErrClosed
// after Close) and records nothing.
func (w *WAVWriter) Write(p []float32) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	if !w.started {
		if w.err = w.startLocked(); w.err != nil {
			return w.err
		}
	}
	if room := w.max - w.n; len(p) > room {
		p = p[:room]
	}
	for len(p) > 0 {
		chunk := p[:min(len(p), cap(w.pcm))]
		pcm := codec.Float32ToInt16(w.pcm, chunk)
		b := w.bytes[:0]
		for _, v := range pcm {
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		}
		if _, err := w.bw.Write(b); err != nil {
			w.err = fmt.Errorf("audio: recording %s: %w", w.name(), err)
			return w.err
		}
		w.n += len(chunk)
		w.unfixed += len(chunk)
		p = p[len(chunk):]
	}
	if w.unfixed >= wavFixEvery && w.f != nil {
		if w.err = w.fixLocked(); w.err != nil {
			return w.err
		}
	}
	return nil
}

// Flush writes what is buffered and brings the header up to date, so that the file is
// complete as it stands (e.g. from a signal handler's goroutine before exiting).
func (w *WAVWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started || w.closed || w.err != nil {
		return w.err
	}
	if w.f != nil {
		return w.fixLocked()
	}
	return w.bw.Flush()
}

// Close finishes the recording: the buffer is written, the header completed and a file
// created by NewWAVWriter closed. A writer that recorded nothing creates nothing. Later calls
// return nil.
func (w *WAVWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if !w.started {
		return w.err
	}
	err := w.err
	if err == nil {
		if w.f != nil {
			err = w.fixLocked()
		} else {
			err = w.bw.Flush()
		}
	}
	if w.path != "" {
		if cerr := w.f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("audio: recording %s: %w", w.path, cerr)
		}
	}
	return err
}

func (w *WAVWriter) name() string {
	if w.path != "" {
		return w.path
	}
	return "the WAV stream"
}

// startLocked opens the destination and writes the header.
func (w *WAVWriter) startLocked() error {
	w.started = true
	switch {
	case w.path != "":
		f, err := os.Create(w.path)
		if err != nil {
			return fmt.Errorf("audio: cannot record: %w", err)
		}
		w.f, w.dst = f, f
	default:
		w.dst = w.out
		if f, ok := w.out.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
				if off, err := f.Seek(0, io.SeekCurrent); err == nil && off == 0 {
					w.f = f
				}
			}
		}
	}
	w.bw = bufio.NewWriterSize(w.dst, 32<<10)
	w.pcm = make([]int16, 960)
	w.bytes = make([]byte, 0, 2*960)
	size := uint32(wavStreamSize)
	if w.f != nil {
		size = 0
	}
	h := wavHeader(size)
	if _, err := w.bw.Write(h[:]); err != nil {
		return fmt.Errorf("audio: recording %s: %w", w.name(), err)
	}
	return nil
}

// fixLocked flushes the buffer and writes the current sizes into the file's header.
func (w *WAVWriter) fixLocked() error {
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("audio: recording %s: %w", w.name(), err)
	}
	var b [4]byte
	data := uint32(w.n * wavSampleBytes)
	binary.LittleEndian.PutUint32(b[:], 36+data)
	_, err1 := w.f.WriteAt(b[:], 4)
	binary.LittleEndian.PutUint32(b[:], data)
	_, err2 := w.f.WriteAt(b[:], 40)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("audio: recording %s: %w", w.name(), err)
	}
	w.unfixed = 0
	return nil
}

// wavHeader is the canonical header of a 48 kHz mono 16-bit PCM stream with dataSize bytes of
// samples (wavStreamSize: unknown).
func wavHeader(dataSize uint32) [wavHeaderBytes]byte {
	le := binary.LittleEndian
	var h [wavHeaderBytes]byte
	riff := dataSize
	if dataSize != wavStreamSize {
		riff = 36 + dataSize
	}
	copy(h[0:4], "RIFF")
	le.PutUint32(h[4:8], riff)
	copy(h[8:16], "WAVEfmt ")
	le.PutUint32(h[16:20], 16)
	le.PutUint16(h[20:22], 1) // PCM
	le.PutUint16(h[22:24], 1) // mono
	le.PutUint32(h[24:28], SampleRateHz)
	le.PutUint32(h[28:32], SampleRateHz*wavSampleBytes)
	le.PutUint16(h[32:34], wavSampleBytes)
	le.PutUint16(h[34:36], 8*wavSampleBytes)
	copy(h[36:40], "data")
	le.PutUint32(h[40:44], dataSize)
	return h
}
