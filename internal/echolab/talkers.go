package echolab

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/parley-voice/parley/codec"
)

// SampleRateHz is the rate of every signal in this package.
const SampleRateHz = 48000

// Codec2Dir is where Debian's codec2-examples package installs its speech.
const Codec2Dir = "/usr/share/codec2/raw"

// Talker is one speaker's speech at 48 kHz.
type Talker struct {
	Name   string
	Speech []float32
}

// Talkers are the speech the scenarios use: two far-end talkers and a near-end talker who is a
// different speaker from both, and the six voices mixed into babble noise (none of which is
// a far- or near-end talker).
type Talkers struct {
	Far    []Talker // "wb": speech_orig_16k.wav (wideband); "nb": hts1 + mmt1 (8 kHz)
	Near   Talker   // hts2 + forig (8 kHz), a female voice
	Babble []Talker
}

// LoadTalkers reads the codec2-examples speech from dir (Codec2Dir when empty).
func LoadTalkers(dir string) (*Talkers, error) {
	if dir == "" {
		dir = Codec2Dir
	}
	wb, err := codec.ReadWAVFile(filepath.Join(dir, "speech_orig_16k.wav"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v (install Debian's codec2-examples: scripts/deps.sh)", ErrSpeech, err)
	}
	wb48, err := codec.Resample(wb.Samples, wb.SampleRateHz, SampleRateHz)
	if err != nil {
		return nil, err
	}
	raw := func(names ...string) ([]float32, error) {
		var s8 []float32
		for _, n := range names {
			s, err := readRaw8k(filepath.Join(dir, n))
			if err != nil {
				return nil, err
			}
			s8 = append(s8, s...)
			s8 = append(s8, make([]float32, 8000/4)...) // 250 ms between recordings
		}
		return codec.Resample(s8, 8000, SampleRateHz)
	}
	t := &Talkers{}
	t.Far = append(t.Far, Talker{Name: "wb", Speech: wb48})
	nb, err := raw("hts1.raw", "mmt1.raw")
	if err != nil {
		return nil, err
	}
	t.Far = append(t.Far, Talker{Name: "nb", Speech: nb})
	near, err := raw("hts2.raw", "forig.raw")
	if err != nil {
		return nil, err
	}
	t.Near = Talker{Name: "near", Speech: near}
	for _, n := range []string{"kristoff.raw", "big_dog.raw", "cross.raw", "morig.raw", "vk5qi.raw", "ve9qrp_10s.raw"} {
		s, err := raw(n)
		if err != nil {
			return nil, err
		}
		t.Babble = append(t.Babble, Talker{Name: n, Speech: s})
	}
	return t, nil
}

// readRaw8k reads codec2's headerless 16-bit little-endian 8 kHz mono files.
func readRaw8k(path string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v (install Debian's codec2-examples: scripts/deps.sh)", ErrSpeech, err)
	}
	out := make([]float32, len(b)/2)
	for i := range out {
		out[i] = float32(int16(binary.LittleEndian.Uint16(b[2*i:]))) / 32768
	}
	return out, nil
}
