package codec

import "fmt"

// Opus packet inspection (RFC 6716 §3.1-3.2): enough of the packet structure to find the first
// SILK frame, whose header bits say whether the packet carries in-band FEC (LBRR) data.

// PacketHasFEC reports whether an Opus packet carries in-band FEC (LBRR) data for the frame
// before it, so that a receiver decodes a lost frame from it only when that recovers something
// (libopus otherwise silently falls back to concealment). It reads the TOC byte and the first
// SILK frame's header bits (RFC 6716 §4.2.3: the VAD flags, then the LBRR flag, coded as
// equiprobable range-coder bits that occupy the top bits of the frame's first byte). CELT-only
// packets never carry FEC. A malformed packet returns an error wrapping ErrOpus. Allocates
// nothing.
func PacketHasFEC(packet []byte) (bool, error) {
	first, err := firstFrame(packet)
	if err != nil {
		return false, err
	}
	toc := packet[0]
	config := toc >> 3
	if config >= 16 { // CELT-only
		return false, nil
	}
	// SILK frames per Opus frame: 1 for 10 and 20 ms, 2 for 40 ms, 3 for 60 ms (SILK-only
	// configs 0-11 cycle 10/20/40/60 ms; hybrid configs 12-15 are 10 or 20 ms).
	silkFrames := 1
	if config < 12 {
		switch config % 4 {
		case 2:
			silkFrames = 2
		case 3:
			silkFrames = 3
		}
	}
	if len(first) == 0 {
		return false, nil // a zero-length frame (DTX) carries nothing
	}
	lbrr := first[0]>>(7-silkFrames)&1 == 1
	if toc&0x04 != 0 { // stereo: the side channel's LBRR flag follows its VAD flags
		lbrr = lbrr || first[0]>>(6-2*silkFrames)&1 == 1
	}
	return lbrr, nil
}

// firstFrame returns the first Opus frame of packet (RFC 6716 §3.2), validating the framing
// as far as needed to locate it.
func firstFrame(p []byte) ([]byte, error) {
	if len(p) == 0 {
		return nil, fmt.Errorf("%w: empty packet", ErrOpus)
	}
	switch p[0] & 3 {
	case 0: // one frame
		return p[1:], nil
	case 1: // two frames of equal size
		if (len(p)-1)%2 != 0 {
			return nil, fmt.Errorf("%w: code 1 packet of %d bytes cannot split in two equal frames", ErrOpus, len(p))
		}
		return p[1 : 1+(len(p)-1)/2], nil
	case 2: // two frames, the first's length coded
		n, used, err := frameLength(p[1:])
		if err != nil {
			return nil, err
		}
		if n > len(p)-1-used {
			return nil, fmt.Errorf("%w: code 2 frame length %d exceeds the packet", ErrOpus, n)
		}
		return p[1+used : 1+used+n], nil
	}
	// Code 3: frame count byte, optional padding length, then (VBR) frame lengths.
	if len(p) < 2 {
		return nil, fmt.Errorf("%w: code 3 packet without a frame count", ErrOpus)
	}
	count := int(p[1] & 0x3f)
	vbr, padded := p[1]&0x80 != 0, p[1]&0x40 != 0
	if count == 0 {
		return nil, fmt.Errorf("%w: code 3 packet with 0 frames", ErrOpus)
	}
	off, pad := 2, 0
	for padded {
		if off >= len(p) {
			return nil, fmt.Errorf("%w: truncated padding length", ErrOpus)
		}
		b := int(p[off])
		off++
		if b == 255 {
			pad += 254
		} else {
			pad += b
			padded = false
		}
	}
	end := len(p) - pad
	if end < off {
		return nil, fmt.Errorf("%w: padding of %d bytes exceeds the packet", ErrOpus, pad)
	}
	if !vbr {
		if (end-off)%count != 0 {
			return nil, fmt.Errorf("%w: %d bytes do not split into %d CBR frames", ErrOpus, end-off, count)
		}
		return p[off : off+(end-off)/count], nil
	}
	lens := 0
	first := -1
	for i := 0; i < count-1; i++ {
		n, used, err := frameLength(p[off:end])
		if err != nil {
			return nil, err
		}
		off += used
		lens += n
		if first < 0 {
			first = n
		}
	}
	if off+lens > end {
		return nil, fmt.Errorf("%w: code 3 frame lengths exceed the packet", ErrOpus)
	}
	if first < 0 { // a single frame: all that remains
		first = end - off
	}
	return p[off : off+first], nil
}

// frameLength decodes a 1- or 2-byte Opus frame length (RFC 6716 §3.2.1).
func frameLength(b []byte) (n, used int, err error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("%w: truncated frame length", ErrOpus)
	}
	if b[0] < 252 {
		return int(b[0]), 1, nil
	}
	if len(b) < 2 {
		return 0, 0, fmt.Errorf("%w: truncated 2-byte frame length", ErrOpus)
	}
	return int(b[1])*4 + int(b[0]), 2, nil
}
