package codec

/*
#cgo pkg-config: opus
#include <opus.h>

static int parley_raw_set_bitrate(OpusEncoder *st, opus_int32 b) {
	return opus_encoder_ctl(st, OPUS_SET_BITRATE(b));
}

static int parley_raw_set_complexity(OpusEncoder *st, opus_int32 c) {
	return opus_encoder_ctl(st, OPUS_SET_COMPLEXITY(c));
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// rawOpus is a bare libopus encoder/decoder pair called straight through cgo with no Go layer.
// It exists only so the benchmarks can measure, in the same binary, what Encoder and Decoder
// add over libopus itself. Not used on any call path.
type rawOpus struct {
	enc *C.OpusEncoder
	dec *C.OpusDecoder
}

func newRawOpus(rateHz, bitrateBps, complexity int) (*rawOpus, error) {
	var e1, e2 C.int
	enc := C.opus_encoder_create(C.opus_int32(rateHz), 1, C.OPUS_APPLICATION_VOIP, &e1)
	if e1 != C.OPUS_OK {
		return nil, fmt.Errorf("%w: raw encoder: %d", ErrOpus, int(e1))
	}
	dec := C.opus_decoder_create(C.opus_int32(rateHz), 1, &e2)
	if e2 != C.OPUS_OK {
		C.opus_encoder_destroy(enc)
		return nil, fmt.Errorf("%w: raw decoder: %d", ErrOpus, int(e2))
	}
	C.parley_raw_set_bitrate(enc, C.opus_int32(bitrateBps))
	C.parley_raw_set_complexity(enc, C.opus_int32(complexity))
	return &rawOpus{enc: enc, dec: dec}, nil
}

func (r *rawOpus) encode(pcm []float32, out []byte) int {
	return int(C.opus_encode_float(r.enc, (*C.float)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)),
		(*C.uchar)(unsafe.Pointer(&out[0])), C.opus_int32(len(out))))
}

func (r *rawOpus) decode(pkt []byte, pcm []float32) int {
	return int(C.opus_decode_float(r.dec, (*C.uchar)(unsafe.Pointer(&pkt[0])), C.opus_int32(len(pkt)),
		(*C.float)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)), 0))
}

func (r *rawOpus) close() {
	C.opus_encoder_destroy(r.enc)
	C.opus_decoder_destroy(r.dec)
}
