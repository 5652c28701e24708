package jitter

// Opus packet parsing (RFC 6716 §3) beyond the TOC byte: where the first frame starts, and
// whether its SILK layer carries low-bit-rate redundancy (LBRR, the in-band FEC of the frame
// before). The receiver learns the sender's FEC this way, from the packets themselves.

// opusFirstFrame returns the first compressed frame of Opus packet p (RFC 6716 §3.2), or nil
// when p is malformed. It allocates nothing.
func opusFirstFrame(p []byte) []byte {
	if len(p) < 1 {
		return nil
	}
	switch p[0] & 3 {
	case 0: // one frame
		return p[1:]
	case 1: // two frames of equal size
		if (len(p)-1)%2 != 0 {
			return nil
		}
		return p[1 : 1+(len(p)-1)/2]
	case 2: // two frames, the first one's size coded
		n, k := opusFrameSize(p[1:])
		if k == 0 || 1+k+n > len(p) {
			return nil
		}
		return p[1+k : 1+k+n]
	}
	// Code 3: a frame count byte, optional padding, optional frame sizes (VBR).
	if len(p) < 2 {
		return nil
	}
	m := int(p[1] & 0x3f)
	vbr, padded := p[1]&0x80 != 0, p[1]&0x40 != 0
	if m == 0 {
		return nil
	}
	i, pad := 2, 0
	for padded {
		if i >= len(p) {
			return nil
		}
		v := int(p[i])
		i++
		if v == 255 {
			pad += 254
		} else {
			pad += v
			padded = false
		}
	}
	end := len(p) - pad
	if end < i {
		return nil
	}
	if !vbr {
		if (end-i)%m != 0 {
			return nil
		}
		return p[i : i+(end-i)/m]
	}
	// VBR: m−1 sizes follow; the first one is the first frame's.
	n, k := opusFrameSize(p[i:end])
	if k == 0 {
		return nil
	}
	start := i + k
	for range m - 2 {
		_, k2 := opusFrameSize(p[start:end])
		if k2 == 0 {
			return nil
		}
		start += k2
	}
	if start+n > end {
		return nil
	}
	return p[start : start+n]
}

// opusFrameSize decodes a frame length (RFC 6716 §3.2.1) at the start of b: the size and the
// bytes it took (0: b is too short).
func opusFrameSize(b []byte) (size, n int) {
	switch {
	case len(b) < 1:
		return 0, 0
	case b[0] < 252:
		return int(b[0]), 1
	case len(b) < 2:
		return 0, 0
	}
	return int(b[0]) + 4*int(b[1]), 2
}

// opusHasLBRR reports whether Opus packet p carries in-band FEC: it is SILK or hybrid and its
// first frame's LBRR flag is set (RFC 6716 §4.2.3; the flags are the first symbols of the
// range coder at probability ½, so they are the leading bits of the frame, as libopus 1.5's
// opus_packet_has_lbrr reads them). False for CELT, an empty frame (DTX) or a malformed
// packet. It allocates nothing.
func opusHasLBRR(p []byte) bool {
	if !opusCanFEC(p) {
		return false
	}
	f := opusFirstFrame(p)
	if len(f) == 0 {
		return false
	}
	// SILK frames per Opus frame: one for 10 and 20 ms, two for 40 ms, three for 60 ms.
	silk := 1
	if cfg := p[0] >> 3; cfg < 12 {
		silk = max(1, [4]int{1, 1, 2, 3}[cfg&3])
	}
	lbrr := f[0]>>(7-silk)&1 != 0
	if p[0]&0x4 != 0 { // stereo: the side channel's VAD and LBRR flags follow
		lbrr = lbrr || f[0]>>(6-2*silk)&1 != 0
	}
	return lbrr
}
