package codec

import "fmt"

// Redundancy builds RED payloads for a sender: it remembers the last MaxREDRedundancy sent frames
// and packs the newest Depth of them before each new primary. With a low-rate encoder (as
// Telegram does on bad networks) the redundant copies are separate low-bitrate encodings of the
// same audio, so redundancy costs far less than repeating the primary. Not safe for concurrent
// use. Allocates nothing per frame once dst has capacity.
type Redundancy struct {
	depth int
	low   *Encoder // nil: repeat the primary encoding

	hist [MaxREDRedundancy]redFrame // ring of the most recent sent frames
	next int                        // ring slot for the next frame
	blk  [MaxREDRedundancy]REDBlock // scratch for PackRED
}

type redFrame struct {
	valid bool
	ts    uint32
	n     int
	buf   [MaxPacketBytes]byte
}

// NewRedundancy returns a Redundancy packing depth (0..MaxREDRedundancy) redundant frames. low,
// when non-nil, encodes the redundant copies; it must run at the primary encoder's sample rate
// and its settings are the caller's (typically 8-12 kb/s, no FEC, no DTX).
func NewRedundancy(depth int, low *Encoder) (*Redundancy, error) {
	r := &Redundancy{low: low}
	if err := r.SetDepth(depth); err != nil {
		return nil, err
	}
	return r, nil
}

// Depth is the number of redundant frames packed per packet.
func (r *Redundancy) Depth() int { return r.depth }

// SetDepth changes the redundancy depth for following packets.
func (r *Redundancy) SetDepth(depth int) error {
	if depth < 0 || depth > MaxREDRedundancy {
		return fmt.Errorf("%w: depth %d (want 0 to %d)", ErrRED, depth, MaxREDRedundancy)
	}
	r.depth = depth
	return nil
}

// Pack appends to dst the RED payload for a sent frame: up to Depth earlier frames whose
// timestamps lie within RED's 14-bit offset range, oldest first, then primary. ts is the frame's
// RTP timestamp; pcm is its audio, used only with a low-rate encoder. The frame is then
// remembered for the packets that follow. Frames that were not sent (DTX) are simply not passed
// in and so are never repeated.
func (r *Redundancy) Pack(dst []byte, pt uint8, ts uint32, primary []byte, pcm []float32) ([]byte, error) {
	blocks := r.blk[:0]
	for age := r.depth; age >= 1; age-- { // oldest first
		f := &r.hist[(r.next-age+2*MaxREDRedundancy)%MaxREDRedundancy]
		off := ts - f.ts
		if !f.valid || off == 0 || off > redMaxTSOffset || f.n > redMaxBlockBytes {
			continue
		}
		if len(blocks) > 0 && off >= blocks[len(blocks)-1].TimestampOffset {
			continue
		}
		blocks = append(blocks, REDBlock{PayloadType: pt, TimestampOffset: off, Data: f.buf[:f.n]})
	}
	out, err := PackRED(dst, pt, primary, blocks)
	if err != nil {
		return dst, err
	}
	if err := r.remember(ts, primary, pcm); err != nil {
		return out, err
	}
	return out, nil
}

func (r *Redundancy) remember(ts uint32, primary []byte, pcm []float32) error {
	f := &r.hist[r.next]
	r.next = (r.next + 1) % MaxREDRedundancy
	f.valid, f.ts = false, ts
	if r.low == nil {
		f.n = copy(f.buf[:], primary)
		f.valid = true
		return nil
	}
	n, err := r.low.Encode(pcm, f.buf[:])
	if err != nil {
		return fmt.Errorf("codec: low-rate redundant encoding: %w", err)
	}
	f.n = n
	f.valid = n > DTXMaxBytes
	return nil
}

// Reset forgets the remembered frames (after a stream restart or SSRC change).
func (r *Redundancy) Reset() {
	for i := range r.hist {
		r.hist[i].valid = false
	}
}
