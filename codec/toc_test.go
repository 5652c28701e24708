package codec

import (
	"errors"
	"testing"
)

// TestPacketHasFECMatchesEncoder encodes real speech with and without in-band FEC and checks the
// flag read from the packets against what the encoder was told, for 20, 40 and 60 ms frames.
func TestPacketHasFECMatchesEncoder(t *testing.T) {
	speech := loadSpeech(t, 48000)
	for _, ms := range []int{20, 40, 60} {
		n := 48 * ms
		for _, fec := range []bool{false, true} {
			s := DefaultSettings()
			s.FEC, s.LossHint, s.DTX = fec, 0.2, false
			enc, _ := NewEncoder(48000, s)
			pkt := make([]byte, MaxPacketBytes)
			var with, total int
			for off := 0; off+n <= len(speech); off += n {
				k, err := enc.Encode(speech[off:off+n], pkt)
				if err != nil {
					t.Fatal(err)
				}
				has, err := PacketHasFEC(pkt[:k])
				if err != nil {
					t.Fatalf("%d ms: %v", ms, err)
				}
				total++
				if has {
					with++
				}
			}
			t.Logf("%d ms, FEC %v: %d of %d packets carry LBRR", ms, fec, with, total)
			if !fec && with != 0 {
				t.Errorf("%d ms without FEC: %d packets claim FEC data", ms, with)
			}
			if fec && with < total/2 {
				t.Errorf("%d ms with FEC at 20%% loss hint: only %d of %d packets carry FEC data", ms, with, total)
			}
		}
	}
}

func TestPacketHasFECMalformed(t *testing.T) {
	for name, p := range map[string][]byte{
		"empty":           nil,
		"code1 odd":       {0x01, 1, 2, 3},
		"code2 too long":  {0x02, 10, 1},
		"code3 no count":  {0x03},
		"code3 zero":      {0x03, 0x00},
		"code3 pad":       {0x03, 0x41, 200},
		"code3 vbr short": {0x03, 0x83, 252},
	} {
		if _, err := PacketHasFEC(p); !errors.Is(err, ErrOpus) {
			t.Errorf("%s: got %v, want ErrOpus", name, err)
		}
	}
	if has, err := PacketHasFEC([]byte{0xfc, 0xff, 0xff}); has || err != nil { // CELT-only config 31
		t.Errorf("CELT packet: %v %v", has, err)
	}
}

func FuzzPacketHasFEC(f *testing.F) {
	f.Add([]byte{0x78, 0x80})
	f.Add([]byte{0x03, 0xc3, 0xff, 0x02, 5, 1, 2, 3})
	f.Add([]byte{0x02, 253, 1, 9})
	f.Fuzz(func(t *testing.T, p []byte) {
		_, err := PacketHasFEC(p)
		if err != nil && !errors.Is(err, ErrOpus) {
			t.Fatalf("error does not wrap ErrOpus: %v", err)
		}
	})
}
