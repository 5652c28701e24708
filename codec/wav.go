package codec

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// WAV format tags (the fmt chunk's wFormatTag).
const (
	wavTagPCM        = 0x0001
	wavTagFloat      = 0x0003
	wavTagExtensible = 0xFFFE
)

// maxWAVDataBytes bounds how much sample data ReadWAV accepts (about 45 minutes of 48 kHz
// stereo float), so a hostile header cannot make it allocate without bound.
const maxWAVDataBytes = 1 << 30

// WAVFormat selects the sample encoding WriteWAV produces.
type WAVFormat int

const (
	// WAVPCM16 is 16-bit signed integer PCM, the zero value and the most portable choice.
	WAVPCM16 WAVFormat = iota
	// WAVFloat32 is 32-bit IEEE float.
	WAVFloat32
)

// ReadWAVFile reads a WAV file with ReadWAV.
func ReadWAVFile(path string) (Audio, error) {
	f, err := os.Open(path)
	if err != nil {
		return Audio{}, fmt.Errorf("codec: %w", err)
	}
	defer f.Close()
	a, err := ReadWAV(bufio.NewReader(f))
	if err != nil {
		return Audio{}, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// ReadWAV decodes a RIFF/WAVE stream into mono Audio. It accepts integer PCM of 8, 16, 24 or 32
// bits and IEEE float of 32 or 64 bits (plain or WAVE_FORMAT_EXTENSIBLE), 1 to 8 channels (mixed
// down to mono by averaging) and rates from 8 to 48 kHz. Chunks other than fmt and data (LIST,
// PEAK, fact, ...) are skipped. A data chunk whose size field is 0, 0xFFFFFFFF or 0x7FFFF000
// (written by streaming tools: ffmpeg, sox to a pipe) runs to the end of the stream; any other truncation is an error. Every error
// wraps ErrWAV and names what is wrong.
func ReadWAV(r io.Reader) (Audio, error) {
	f, size, err := readWAVHeader(r)
	if err != nil {
		return Audio{}, err
	}
	return readWAVData(r, f, size)
}

// readWAVHeader reads the RIFF header and the chunks up to the data chunk's header, and
// returns the format and the data chunk's size field; r is then at the first sample.
func readWAVHeader(r io.Reader) (wavFmt, uint32, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return wavFmt{}, 0, fmt.Errorf("%w: reading RIFF header: %v", ErrWAV, err)
	}
	if string(hdr[0:4]) != "RIFF" {
		return wavFmt{}, 0, fmt.Errorf("%w: not a RIFF file (starts with %q)", ErrWAV, hdr[0:4])
	}
	if string(hdr[8:12]) != "WAVE" {
		return wavFmt{}, 0, fmt.Errorf("%w: RIFF form is %q, not WAVE", ErrWAV, hdr[8:12])
	}
	var (
		f       wavFmt
		haveFmt bool
	)
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			if errors.Is(err, io.EOF) {
				if !haveFmt {
					return wavFmt{}, 0, fmt.Errorf("%w: no fmt chunk", ErrWAV)
				}
				return wavFmt{}, 0, fmt.Errorf("%w: no data chunk", ErrWAV)
			}
			return wavFmt{}, 0, fmt.Errorf("%w: reading chunk header: %v", ErrWAV, err)
		}
		id := string(ch[0:4])
		size := binary.LittleEndian.Uint32(ch[4:8])
		switch id {
		case "fmt ":
			if haveFmt {
				return wavFmt{}, 0, fmt.Errorf("%w: two fmt chunks", ErrWAV)
			}
			if size < 16 || size > 1024 {
				return wavFmt{}, 0, fmt.Errorf("%w: fmt chunk of %d bytes (want 16 to 1024)", ErrWAV, size)
			}
			buf := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, buf); err != nil {
				return wavFmt{}, 0, fmt.Errorf("%w: truncated fmt chunk: %v", ErrWAV, err)
			}
			var err error
			if f, err = parseWAVFmt(buf[:size]); err != nil {
				return wavFmt{}, 0, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return wavFmt{}, 0, fmt.Errorf("%w: data chunk before fmt chunk", ErrWAV)
			}
			return f, size, nil
		default:
			if _, err := io.CopyN(io.Discard, r, int64(size)+int64(size%2)); err != nil {
				return wavFmt{}, 0, fmt.Errorf("%w: truncated %q chunk: %v", ErrWAV, id, err)
			}
		}
	}
}

type wavFmt struct {
	tag      uint16 // wavTagPCM or wavTagFloat after resolving EXTENSIBLE
	channels int
	rateHz   int
	bits     int
}

func parseWAVFmt(b []byte) (wavFmt, error) {
	le := binary.LittleEndian
	f := wavFmt{
		tag:      le.Uint16(b[0:2]),
		channels: int(le.Uint16(b[2:4])),
		rateHz:   int(le.Uint32(b[4:8])),
		bits:     int(le.Uint16(b[14:16])),
	}
	blockAlign := int(le.Uint16(b[12:14]))
	if f.tag == wavTagExtensible {
		if len(b) < 40 {
			return f, fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE fmt chunk of %d bytes (want 40)", ErrWAV, len(b))
		}
		f.tag = le.Uint16(b[24:26]) // first two bytes of the sub-format GUID
	}
	switch {
	case f.tag != wavTagPCM && f.tag != wavTagFloat:
		return f, fmt.Errorf("%w: format tag 0x%04x (Parley reads integer PCM and IEEE float)", ErrWAV, f.tag)
	case f.channels < 1 || f.channels > 8:
		return f, fmt.Errorf("%w: %d channels (want 1 to 8)", ErrWAV, f.channels)
	case f.rateHz < MinSampleRateHz || f.rateHz > MaxSampleRateHz:
		return f, fmt.Errorf("%w: sample rate %d Hz (%w: want %d to %d)", ErrWAV, f.rateHz, ErrSampleRate, MinSampleRateHz, MaxSampleRateHz)
	case f.tag == wavTagPCM && f.bits != 8 && f.bits != 16 && f.bits != 24 && f.bits != 32:
		return f, fmt.Errorf("%w: %d-bit integer PCM (want 8, 16, 24 or 32)", ErrWAV, f.bits)
	case f.tag == wavTagFloat && f.bits != 32 && f.bits != 64:
		return f, fmt.Errorf("%w: %d-bit float (want 32 or 64)", ErrWAV, f.bits)
	case blockAlign != f.channels*f.bits/8:
		return f, fmt.Errorf("%w: block align %d, want %d for %d channels of %d bits", ErrWAV, blockAlign, f.channels*f.bits/8, f.channels, f.bits)
	}
	return f, nil
}

// streamingSize reports whether a data chunk size means "to the end of the stream": 0 and
// 0xFFFFFFFF are what ffmpeg and most streaming writers put; sox writes 0x7FFFF000 when its
// output is a pipe.
func streamingSize(size uint32) bool { return size == 0 || size == 0xFFFFFFFF || size == 0x7FFFF000 }

func readWAVData(r io.Reader, f wavFmt, size uint32) (Audio, error) {
	streaming := streamingSize(size)
	limit := int64(maxWAVDataBytes)
	if !streaming {
		if int64(size) > limit {
			return Audio{}, fmt.Errorf("%w: data chunk of %d bytes exceeds the %d-byte limit", ErrWAV, size, limit)
		}
		limit = int64(size)
	}
	data, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return Audio{}, fmt.Errorf("%w: reading data: %v", ErrWAV, err)
	}
	if !streaming && len(data) < int(size) {
		return Audio{}, fmt.Errorf("%w: data chunk declares %d bytes but the file holds %d (truncated)", ErrWAV, size, len(data))
	}
	frameBytes := f.channels * f.bits / 8
	if streaming {
		data = data[:len(data)-len(data)%frameBytes]
	} else if len(data)%frameBytes != 0 {
		return Audio{}, fmt.Errorf("%w: data chunk of %d bytes is not a whole number of %d-byte sample frames", ErrWAV, len(data), frameBytes)
	}
	n := len(data) / frameBytes
	out := make([]float32, n)
	bps := f.bits / 8
	inv := 1 / float64(f.channels)
	for i := range n {
		var sum float64
		for c := range f.channels {
			sum += wavSample(data[(i*f.channels+c)*bps:], f)
		}
		out[i] = float32(sum * inv)
	}
	for i, v := range out {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return Audio{}, fmt.Errorf("%w: sample %d is %v", ErrWAV, i, v)
		}
	}
	return Audio{SampleRateHz: f.rateHz, Samples: out}, nil
}

// wavSample decodes one sample at b[0:] into [-1, 1] (floats pass through unclipped).
func wavSample(b []byte, f wavFmt) float64 {
	le := binary.LittleEndian
	if f.tag == wavTagFloat {
		if f.bits == 32 {
			return float64(math.Float32frombits(le.Uint32(b)))
		}
		return math.Float64frombits(le.Uint64(b))
	}
	switch f.bits {
	case 8: // unsigned, offset 128
		return (float64(b[0]) - 128) / 128
	case 16:
		return float64(int16(le.Uint16(b))) / 32768
	case 24:
		v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
		return float64(v) / (1 << 23)
	default:
		return float64(int32(le.Uint32(b))) / (1 << 31)
	}
}

// WriteWAVFile writes a as a mono WAV file in the given format, replacing any existing file.
func WriteWAVFile(path string, a Audio, format WAVFormat) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("codec: %w", err)
	}
	bw := bufio.NewWriter(f)
	if err := WriteWAV(bw, a, format); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("codec: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("codec: writing %s: %w", path, err)
	}
	return nil
}

// WriteWAV writes a as a mono RIFF/WAVE stream. PCM16 output clips samples to [-1, 1].
func WriteWAV(w io.Writer, a Audio, format WAVFormat) error {
	if a.SampleRateHz < MinSampleRateHz || a.SampleRateHz > MaxSampleRateHz {
		return fmt.Errorf("%w: writing WAV at %d Hz (want %d to %d)", ErrSampleRate, a.SampleRateHz, MinSampleRateHz, MaxSampleRateHz)
	}
	tag, bits := uint16(wavTagPCM), 16
	if format == WAVFloat32 {
		tag, bits = wavTagFloat, 32
	} else if format != WAVPCM16 {
		return fmt.Errorf("codec: unknown WAV format %d", format)
	}
	dataBytes := len(a.Samples) * bits / 8
	if dataBytes > maxWAVDataBytes {
		return fmt.Errorf("%w: %d samples exceed the %d-byte data limit", ErrWAV, len(a.Samples), maxWAVDataBytes)
	}
	le := binary.LittleEndian
	var h [44]byte
	copy(h[0:4], "RIFF")
	le.PutUint32(h[4:8], uint32(36+dataBytes))
	copy(h[8:16], "WAVEfmt ")
	le.PutUint32(h[16:20], 16)
	le.PutUint16(h[20:22], tag)
	le.PutUint16(h[22:24], 1)
	le.PutUint32(h[24:28], uint32(a.SampleRateHz))
	le.PutUint32(h[28:32], uint32(a.SampleRateHz*bits/8))
	le.PutUint16(h[32:34], uint16(bits/8))
	le.PutUint16(h[34:36], uint16(bits))
	copy(h[36:40], "data")
	le.PutUint32(h[40:44], uint32(dataBytes))
	if _, err := w.Write(h[:]); err != nil {
		return fmt.Errorf("codec: writing WAV header: %w", err)
	}
	buf := make([]byte, 0, 4096)
	for _, v := range a.Samples {
		if format == WAVFloat32 {
			buf = le.AppendUint32(buf, math.Float32bits(v))
		} else {
			buf = le.AppendUint16(buf, uint16(toInt16(v)))
		}
		if len(buf) >= 4092 {
			if _, err := w.Write(buf); err != nil {
				return fmt.Errorf("codec: writing WAV data: %w", err)
			}
			buf = buf[:0]
		}
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("codec: writing WAV data: %w", err)
	}
	return nil
}
