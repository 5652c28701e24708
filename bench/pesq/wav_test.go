package pesq

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
)

// readWAV is a minimal RIFF/WAVE reader for the tests (16-bit PCM or 32-bit float, first
// channel), so that the tests do not depend on another package.
func readWAV(path string) (samples []float32, rate int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a WAVE file")
	}
	var format, channels, bits int
	p := 12
	for p+8 <= len(b) {
		id := string(b[p : p+4])
		size := int(binary.LittleEndian.Uint32(b[p+4 : p+8]))
		body := b[p+8 : min(len(b), p+8+size)]
		switch id {
		case "fmt ":
			format = int(binary.LittleEndian.Uint16(body[0:2]))
			channels = int(binary.LittleEndian.Uint16(body[2:4]))
			rate = int(binary.LittleEndian.Uint32(body[4:8]))
			bits = int(binary.LittleEndian.Uint16(body[14:16]))
			if format == 0xFFFE && len(body) >= 26 {
				format = int(binary.LittleEndian.Uint16(body[24:26]))
			}
		case "data":
			step := channels * bits / 8
			for i := 0; i+step <= len(body); i += step {
				switch {
				case format == 1 && bits == 16:
					samples = append(samples, float32(int16(binary.LittleEndian.Uint16(body[i:])))/32768)
				case format == 3 && bits == 32:
					samples = append(samples, math.Float32frombits(binary.LittleEndian.Uint32(body[i:])))
				default:
					return nil, 0, errors.New("unsupported WAV sample format")
				}
			}
			return samples, rate, nil
		}
		p += 8 + size + size%2
	}
	return nil, 0, errors.New("no data chunk")
}
