package codec

import (
	"bytes"
	"errors"
	"testing"
)

func TestREDRoundTrip(t *testing.T) {
	red := []REDBlock{
		{PayloadType: 111, TimestampOffset: 1920, Data: []byte("older")},
		{PayloadType: 111, TimestampOffset: 960, Data: []byte("old")},
	}
	pkt, err := PackRED(nil, 111, []byte("primary"), red)
	if err != nil {
		t.Fatal(err)
	}
	if want := 4*2 + 1 + len("older") + len("old") + len("primary"); len(pkt) != want {
		t.Fatalf("packed %d bytes, want %d", len(pkt), want)
	}
	// First header by hand: F=1, PT 111, offset 1920, length 5.
	if pkt[0] != 0x80|111 || pkt[1] != byte(1920>>6) || pkt[2] != byte(1920<<2&0xff) || pkt[3] != 5 {
		t.Fatalf("first header % x", pkt[:4])
	}
	got, err := UnpackRED(pkt, make([]REDBlock, 0, 4))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d blocks", len(got))
	}
	for i, b := range red {
		if got[i].PayloadType != b.PayloadType || got[i].TimestampOffset != b.TimestampOffset || !bytes.Equal(got[i].Data, b.Data) {
			t.Fatalf("block %d: got %+v want %+v", i, got[i], b)
		}
	}
	if p := got[2]; p.TimestampOffset != 0 || string(p.Data) != "primary" || p.PayloadType != 111 {
		t.Fatalf("primary %+v", p)
	}
	// Zero allocations with capacity.
	blocks := make([]REDBlock, 0, 4)
	dst := make([]byte, 0, 1500)
	if a := testing.AllocsPerRun(100, func() {
		dst, _ = PackRED(dst[:0], 111, []byte("primary"), red)
		blocks, _ = UnpackRED(dst, blocks)
	}); a != 0 {
		t.Fatalf("%v allocs", a)
	}
}

func TestREDMalformed(t *testing.T) {
	cases := map[string][]byte{
		"empty":                 {},
		"only redundant header": {0x80 | 111, 0x0f, 0x00, 0x05},
		"truncated header":      {0x80 | 111, 0x0f},
		"length beyond payload": {0x80 | 111, 0x0f, 0x00, 0x05, 111, 'a', 'b'},
		"zero offset":           {0x80 | 111, 0x00, 0x00, 0x01, 111, 'a'},
		"increasing offsets":    {0x80 | 111, 0x0f, 0x00, 0x00, 0x80 | 111, 0x1f, 0x00, 0x00, 111},
	}
	nine := []byte{}
	for i := range 9 {
		off := uint32(9000 - i*100)
		h := 1<<31 | 111<<24 | off<<10
		nine = append(nine, byte(h>>24), byte(h>>16), byte(h>>8), byte(h))
	}
	cases["nine redundant blocks"] = append(nine, 111)
	for name, b := range cases {
		if _, err := UnpackRED(b, nil); !errors.Is(err, ErrRED) {
			t.Errorf("%s: got %v, want ErrRED", name, err)
		}
	}
	bad := [][]REDBlock{
		{{TimestampOffset: 0}},
		{{TimestampOffset: 20000}},
		{{TimestampOffset: 960, Data: make([]byte, 1024)}},
		{{TimestampOffset: 960}, {TimestampOffset: 1920}},
		{{TimestampOffset: 3}, {TimestampOffset: 2}, {TimestampOffset: 1}, {TimestampOffset: 0}},
		{{PayloadType: 200, TimestampOffset: 1}},
	}
	for i, r := range bad {
		if _, err := PackRED(nil, 111, nil, r); !errors.Is(err, ErrRED) {
			t.Errorf("pack case %d: got %v, want ErrRED", i, err)
		}
	}
}

func TestRedundancyDepthAndLowRate(t *testing.T) {
	speech := loadSpeech(t, 48000)
	s := DefaultSettings()
	s.DTX = false
	enc, _ := NewEncoder(48000, s)
	lowS := Settings{BitrateBps: 8000, Complexity: 5}
	low, _ := NewEncoder(48000, lowS)
	for _, useLow := range []bool{false, true} {
		var lowEnc *Encoder
		if useLow {
			lowEnc = low
		}
		r, err := NewRedundancy(2, lowEnc)
		if err != nil {
			t.Fatal(err)
		}
		pkt := make([]byte, MaxPacketBytes)
		var out []byte
		var redBytes, primBytes int
		dec, _ := NewDecoder(48000)
		pcm := make([]float32, 960)
		for i := range 50 {
			frame := speech[(100+i)*960 : (101+i)*960]
			n, _ := enc.Encode(frame, pkt)
			ts := uint32(i * 960)
			out, err = r.Pack(out[:0], 111, ts, pkt[:n], frame)
			if err != nil {
				t.Fatal(err)
			}
			blocks, err := UnpackRED(out, nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := min(i, 2) + 1; len(blocks) != want {
				t.Fatalf("frame %d: %d blocks, want %d", i, len(blocks), want)
			}
			for j, b := range blocks[:len(blocks)-1] {
				if want := uint32(960 * (len(blocks) - 1 - j)); b.TimestampOffset != want {
					t.Fatalf("frame %d block %d offset %d want %d", i, j, b.TimestampOffset, want)
				}
				redBytes += len(b.Data)
				// Every redundant copy decodes as Opus.
				if _, err := dec.Decode(b.Data, pcm); err != nil {
					t.Fatalf("redundant block does not decode: %v", err)
				}
			}
			primBytes += n
		}
		t.Logf("low-rate=%v: redundant %d bytes vs primary %d bytes", useLow, redBytes, primBytes)
		if useLow && redBytes*2 > primBytes {
			t.Errorf("low-rate copies (%d bytes) should cost well under the primaries (%d)", redBytes, primBytes)
		}
		if !useLow && redBytes < primBytes*3/2 {
			t.Errorf("depth-2 primary copies: %d redundant bytes vs %d primary", redBytes, primBytes)
		}
	}
	if _, err := NewRedundancy(4, nil); !errors.Is(err, ErrRED) {
		t.Fatalf("depth 4: %v", err)
	}
}

func FuzzUnpackRED(f *testing.F) {
	seed, _ := PackRED(nil, 111, []byte("primary"), []REDBlock{{PayloadType: 111, TimestampOffset: 960, Data: []byte("x")}})
	f.Add(seed)
	f.Add([]byte{111, 1, 2, 3})
	f.Add([]byte{0x80 | 111, 0x0f, 0x00, 0x05, 111})
	f.Fuzz(func(t *testing.T, b []byte) {
		blocks, err := UnpackRED(b, nil)
		if err != nil {
			if !errors.Is(err, ErrRED) {
				t.Fatalf("error does not wrap ErrRED: %v", err)
			}
			return
		}
		// A parse that succeeded re-packs to the same bytes (when it is within Parley's limits).
		if len(blocks)-1 > MaxREDRedundancy {
			return
		}
		p := blocks[len(blocks)-1]
		again, err := PackRED(nil, p.PayloadType, p.Data, blocks[:len(blocks)-1])
		if err != nil {
			t.Fatalf("re-pack of parsed payload: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-pack differs:\n% x\n% x", again, b)
		}
	})
}
