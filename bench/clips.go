package bench

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/parley-voice/parley/codec"
)

// Clip is a named speech signal at 48 kHz.
type Clip struct {
	Name    string
	Samples []float32
}

// Codec2Dir is where Debian's codec2-examples package installs its speech samples.
const Codec2Dir = "/usr/share/codec2/raw"

// MaxClip is the longest clip DefaultClips returns: PESQ's cost grows with length, and 8 s of
// speech (several utterances) is enough for a stable score.
const MaxClip = 8 * time.Second

// DefaultClips loads the codec2-examples speech the benchmarks use: the 16 kHz (wideband)
// sentence, and a narrowband clip made of three 8 kHz sentences (hts1a, hts2a, morig, each
// a male or female speaker) joined with 300 ms pauses. Both are resampled to 48 kHz.
func DefaultClips() ([]Clip, error) {
	wb, err := codec.ReadWAVFile(filepath.Join(Codec2Dir, "speech_orig_16k.wav"))
	if err != nil {
		return nil, fmt.Errorf("bench: %w (install Debian's codec2-examples: scripts/deps.sh)", err)
	}
	wb48, err := codec.Resample(wb.Samples, wb.SampleRateHz, SampleRateHz)
	if err != nil {
		return nil, err
	}
	var nb []float32
	for _, name := range []string{"hts1a.raw", "hts2a.raw", "morig.raw"} {
		s, err := readRaw8k(filepath.Join(Codec2Dir, name))
		if err != nil {
			return nil, err
		}
		nb = append(nb, s...)
		nb = append(nb, make([]float32, 8000*3/10)...)
	}
	nb48, err := codec.Resample(nb, 8000, SampleRateHz)
	if err != nil {
		return nil, err
	}
	maxN := int(MaxClip.Seconds() * SampleRateHz)
	if len(wb48) > maxN {
		wb48 = wb48[:maxN]
	}
	if len(nb48) > maxN {
		nb48 = nb48[:maxN]
	}
	return []Clip{{Name: "codec2-wb", Samples: wb48}, {Name: "codec2-nb", Samples: nb48}}, nil
}

// ClipFromWAV loads a user's WAV file as a clip.
func ClipFromWAV(path string) (Clip, error) {
	a, err := codec.ReadWAVFile(path)
	if err != nil {
		return Clip{}, err
	}
	s, err := codec.Resample(a.Samples, a.SampleRateHz, SampleRateHz)
	if err != nil {
		return Clip{}, err
	}
	return Clip{Name: filepath.Base(path), Samples: s}, nil
}

// readRaw8k reads codec2's headerless 16-bit little-endian 8 kHz mono files.
func readRaw8k(path string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w (install Debian's codec2-examples: scripts/deps.sh)", err)
	}
	out := make([]float32, len(b)/2)
	for i := range out {
		out[i] = float32(int16(binary.LittleEndian.Uint16(b[2*i:]))) / 32768
	}
	return out, nil
}
