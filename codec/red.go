package codec

import (
	"encoding/binary"
	"fmt"
)

// RED (RFC 2198) payload layout: one 4-byte header per redundant block
//
//	|F=1|  block PT (7)  |  timestamp offset (14)  |  block length (10)  |
//
// then a 1-byte header for the primary block (|F=0| PT (7)|), then the redundant blocks' data in
// header order, then the primary data. Offsets are the primary's RTP timestamp minus the block's.
const (
	redHeaderBytes     = 4
	redMaxTSOffset     = 1<<14 - 1 // 16383 RTP ticks: 341 ms at 48 kHz
	redMaxBlockBytes   = 1<<10 - 1 // 1023
	MaxREDRedundancy   = 3         // redundant blocks Parley packs per packet
	maxREDUnpackBlocks = 8         // redundant blocks UnpackRED accepts from a peer
)

// REDBlock is one block of a RED payload. In an unpacked payload Data aliases the packet.
type REDBlock struct {
	PayloadType     uint8  // 0..127
	TimestampOffset uint32 // primary timestamp minus this block's; 0 for the primary
	Data            []byte
}

// PackRED appends to dst a RED payload carrying redundant (oldest first: strictly decreasing
// positive timestamp offsets, at most MaxREDRedundancy blocks of at most 1023 bytes, offsets at
// most 16383) followed by the primary block, and returns the extended slice. It allocates only
// if dst lacks capacity.
func PackRED(dst []byte, primaryPT uint8, primary []byte, redundant []REDBlock) ([]byte, error) {
	if primaryPT > 127 {
		return dst, fmt.Errorf("%w: primary payload type %d (want 0 to 127)", ErrRED, primaryPT)
	}
	if len(redundant) > MaxREDRedundancy {
		return dst, fmt.Errorf("%w: %d redundant blocks (at most %d)", ErrRED, len(redundant), MaxREDRedundancy)
	}
	for i, b := range redundant {
		switch {
		case b.PayloadType > 127:
			return dst, fmt.Errorf("%w: block %d payload type %d (want 0 to 127)", ErrRED, i, b.PayloadType)
		case b.TimestampOffset == 0 || b.TimestampOffset > redMaxTSOffset:
			return dst, fmt.Errorf("%w: block %d timestamp offset %d (want 1 to %d)", ErrRED, i, b.TimestampOffset, redMaxTSOffset)
		case i > 0 && b.TimestampOffset >= redundant[i-1].TimestampOffset:
			return dst, fmt.Errorf("%w: block %d timestamp offset %d not below the previous block's %d (oldest first)", ErrRED, i, b.TimestampOffset, redundant[i-1].TimestampOffset)
		case len(b.Data) > redMaxBlockBytes:
			return dst, fmt.Errorf("%w: block %d is %d bytes (at most %d)", ErrRED, i, len(b.Data), redMaxBlockBytes)
		}
	}
	for _, b := range redundant {
		h := 1<<31 | uint32(b.PayloadType)<<24 | b.TimestampOffset<<10 | uint32(len(b.Data))
		dst = binary.BigEndian.AppendUint32(dst, h)
	}
	dst = append(dst, primaryPT)
	for _, b := range redundant {
		dst = append(dst, b.Data...)
	}
	return append(dst, primary...), nil
}

// UnpackRED parses a RED payload into blocks, appended to blocks[:0]: the redundant blocks in
// packet order, then the primary (TimestampOffset 0). Data slices alias payload. Malformed input
// — a truncated header, block lengths beyond the payload, a zero or non-decreasing timestamp
// offset, more than 8 redundant blocks — returns an error wrapping ErrRED and never panics.
// Allocates nothing when cap(blocks) is at least the number of blocks.
func UnpackRED(payload []byte, blocks []REDBlock) ([]REDBlock, error) {
	blocks = blocks[:0]
	off := 0
	var (
		nred int
		lens [maxREDUnpackBlocks]int
	)
	for {
		if off >= len(payload) {
			return blocks, fmt.Errorf("%w: payload of %d bytes ends inside the block headers", ErrRED, len(payload))
		}
		if payload[off]&0x80 == 0 {
			break
		}
		if len(payload)-off < redHeaderBytes {
			return blocks, fmt.Errorf("%w: truncated block header at byte %d", ErrRED, off)
		}
		if nred == maxREDUnpackBlocks {
			return blocks, fmt.Errorf("%w: more than %d redundant blocks", ErrRED, maxREDUnpackBlocks)
		}
		h := binary.BigEndian.Uint32(payload[off:])
		b := REDBlock{
			PayloadType:     uint8(h >> 24 & 0x7f),
			TimestampOffset: h >> 10 & redMaxTSOffset,
		}
		n := int(h & redMaxBlockBytes)
		if b.TimestampOffset == 0 {
			return blocks, fmt.Errorf("%w: redundant block %d has timestamp offset 0", ErrRED, nred)
		}
		if nred > 0 && b.TimestampOffset >= blocks[nred-1].TimestampOffset {
			return blocks, fmt.Errorf("%w: redundant block %d timestamp offset %d not below the previous %d", ErrRED, nred, b.TimestampOffset, blocks[nred-1].TimestampOffset)
		}
		lens[nred] = n
		blocks = append(blocks, b)
		nred++
		off += redHeaderBytes
	}
	primaryPT := payload[off] & 0x7f
	off++
	for i := range blocks {
		n := lens[i]
		if n > len(payload)-off {
			return blocks[:0], fmt.Errorf("%w: redundant block %d claims %d bytes, %d remain", ErrRED, i, n, len(payload)-off)
		}
		blocks[i].Data = payload[off : off+n : off+n]
		off += n
	}
	return append(blocks, REDBlock{PayloadType: primaryPT, Data: payload[off:len(payload):len(payload)]}), nil
}
