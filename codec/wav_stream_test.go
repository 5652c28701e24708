package codec

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// TestReadWAVStreamingSizes: the data sizes streaming writers put in a header they cannot go
// back to (ffmpeg's 0 and 0xFFFFFFFF, sox's 0x7FFFF000 for a pipe) mean "to the end".
func TestReadWAVStreamingSizes(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteWAV(&buf, Audio{SampleRateHz: 16000, Samples: make([]float32, 1600)}, WAVPCM16); err != nil {
		t.Fatal(err)
	}
	for _, size := range []uint32{0, 0xFFFFFFFF, 0x7FFFF000} {
		b := bytes.Clone(buf.Bytes())
		binary.LittleEndian.PutUint32(b[40:44], size)
		a, err := ReadWAV(bytes.NewReader(b))
		if err != nil || len(a.Samples) != 1600 {
			t.Errorf("data size %#x: %d samples, %v; want 1600", size, len(a.Samples), err)
		}
	}
}
