package codec

/*
#cgo pkg-config: opus
#include <stdlib.h>
#include <opus.h>

// libopus's ctl functions are variadic, which cgo cannot call: these wrappers pass one value.
static int parley_enc_set(void *st, int req, opus_int32 v) { return opus_encoder_ctl((OpusEncoder *)st, req, v); }
static int parley_enc_get(void *st, int req, opus_int32 *v) { return opus_encoder_ctl((OpusEncoder *)st, req, v); }
static int parley_dec_set(void *st, int req, opus_int32 v) { return opus_decoder_ctl((OpusDecoder *)st, req, v); }
static int parley_dec_get(void *st, int req, opus_int32 *v) { return opus_decoder_ctl((OpusDecoder *)st, req, v); }

static int parley_encode(void *st, const float *pcm, int n, unsigned char *out, opus_int32 max) {
	return opus_encode_float((OpusEncoder *)st, pcm, n, out, max);
}
static int parley_decode(void *st, const unsigned char *data, opus_int32 len, float *pcm, int n, int fec) {
	return opus_decode_float((OpusDecoder *)st, data, len, pcm, n, fec);
}

// Opus 1.5 adds DRED and the decoder complexity that selects Deep PLC and OSCE. Against an older
// libopus (Debian bookworm's 1.3.1) these compile to stubs reporting OPUS_UNIMPLEMENTED.
#ifdef OPUS_SET_DRED_DURATION_REQUEST
#define PARLEY_SET_DRED_DURATION OPUS_SET_DRED_DURATION_REQUEST
static int parley_dred_decoder_size(void) { return opus_dred_decoder_get_size(); }
static int parley_dred_size(void) { return opus_dred_get_size(); }
static int parley_dred_decoder_init(void *d) { return opus_dred_decoder_init((OpusDREDDecoder *)d); }
static int parley_dred_parse(void *d, void *dred, const unsigned char *data, opus_int32 len,
		opus_int32 max_samples, opus_int32 rate, int *dred_end) {
	return opus_dred_parse((OpusDREDDecoder *)d, (OpusDRED *)dred, data, len, max_samples, rate, dred_end, 0);
}
static int parley_dred_decode(void *st, const void *dred, opus_int32 offset, float *pcm, opus_int32 n) {
	return opus_decoder_dred_decode_float((OpusDecoder *)st, (const OpusDRED *)dred, offset, pcm, n);
}
#else
#define PARLEY_SET_DRED_DURATION 4050
static int parley_dred_decoder_size(void) { return 0; }
static int parley_dred_size(void) { return 0; }
static int parley_dred_decoder_init(void *d) { return OPUS_UNIMPLEMENTED; }
static int parley_dred_parse(void *d, void *dred, const unsigned char *data, opus_int32 len,
		opus_int32 max_samples, opus_int32 rate, int *dred_end) { return OPUS_UNIMPLEMENTED; }
static int parley_dred_decode(void *st, const void *dred, opus_int32 offset, float *pcm, opus_int32 n) {
	return OPUS_UNIMPLEMENTED;
}
#endif
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// This file is the only cgo layer of the codec: libopus states live in Go-allocated memory (so
// the garbage collector frees them, no Close needed; libopus states hold no Go pointers) and
// every call passes caller-owned buffers, so nothing here allocates per frame.
//
// Parley calls libopus directly rather than through gopkg.in/hraban/opus.v2 because that binding
// hides its state pointers and has no generic ctl: decoder complexity (Deep PLC, OSCE) and DRED
// cannot be reached through it, and its ogg/opusfile half fails a plain `go build` without the
// nolibopusfile tag.

// opusError is a libopus error code.
type opusError int

func (e opusError) Error() string { return C.GoString(C.opus_strerror(C.int(e))) }

// libopus request codes used by Encoder and Decoder.
const (
	reqSetBitrate      = C.OPUS_SET_BITRATE_REQUEST
	reqSetComplexity   = C.OPUS_SET_COMPLEXITY_REQUEST
	reqSetInbandFEC    = C.OPUS_SET_INBAND_FEC_REQUEST
	reqSetPacketLoss   = C.OPUS_SET_PACKET_LOSS_PERC_REQUEST
	reqSetDTX          = C.OPUS_SET_DTX_REQUEST
	reqGetInDTX        = C.OPUS_GET_IN_DTX_REQUEST
	reqSetMaxBandwidth = C.OPUS_SET_MAX_BANDWIDTH_REQUEST
	reqSetDREDDuration = C.PARLEY_SET_DRED_DURATION
	opusUnimplemented  = C.OPUS_UNIMPLEMENTED
)

// libopus bandwidth codes.
const (
	opusBandNarrow    = C.OPUS_BANDWIDTH_NARROWBAND
	opusBandMedium    = C.OPUS_BANDWIDTH_MEDIUMBAND
	opusBandWide      = C.OPUS_BANDWIDTH_WIDEBAND
	opusBandSuperWide = C.OPUS_BANDWIDTH_SUPERWIDEBAND
	opusBandFull      = C.OPUS_BANDWIDTH_FULLBAND
)

// encState is one mono VoIP libopus encoder.
type encState struct{ mem []byte }

func newEncState(rateHz int) (encState, error) {
	s := encState{mem: make([]byte, int(C.opus_encoder_get_size(1)))}
	if rc := C.opus_encoder_init((*C.OpusEncoder)(s.ptr()), C.opus_int32(rateHz), 1, C.OPUS_APPLICATION_VOIP); rc != C.OPUS_OK {
		return encState{}, opusError(rc)
	}
	return s, nil
}

func (s encState) ptr() unsafe.Pointer { return unsafe.Pointer(&s.mem[0]) }

func (s encState) set(req int, v int) error {
	if rc := C.parley_enc_set(s.ptr(), C.int(req), C.opus_int32(v)); rc != C.OPUS_OK {
		return opusError(rc)
	}
	return nil
}

func (s encState) get(req int) (int, error) {
	var v C.opus_int32
	if rc := C.parley_enc_get(s.ptr(), C.int(req), &v); rc != C.OPUS_OK {
		return 0, opusError(rc)
	}
	return int(v), nil
}

func (s encState) encode(pcm []float32, out []byte) (int, error) {
	n := C.parley_encode(s.ptr(), (*C.float)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)),
		(*C.uchar)(unsafe.Pointer(&out[0])), C.opus_int32(len(out)))
	if n < 0 {
		return 0, opusError(n)
	}
	return int(n), nil
}

// decState is one mono libopus decoder.
type decState struct{ mem []byte }

func newDecState(rateHz int) (decState, error) {
	s := decState{mem: make([]byte, int(C.opus_decoder_get_size(1)))}
	if rc := C.opus_decoder_init((*C.OpusDecoder)(s.ptr()), C.opus_int32(rateHz), 1); rc != C.OPUS_OK {
		return decState{}, opusError(rc)
	}
	return s, nil
}

func (s decState) ptr() unsafe.Pointer { return unsafe.Pointer(&s.mem[0]) }

func (s decState) set(req int, v int) error {
	if rc := C.parley_dec_set(s.ptr(), C.int(req), C.opus_int32(v)); rc != C.OPUS_OK {
		return opusError(rc)
	}
	return nil
}

// decode decodes data (nil: conceal) into pcm; fec selects the in-band FEC of data.
func (s decState) decode(data []byte, pcm []float32, fec bool) (int, error) {
	var p *C.uchar
	if len(data) > 0 {
		p = (*C.uchar)(unsafe.Pointer(&data[0]))
	}
	f := C.int(0)
	if fec {
		f = 1
	}
	n := C.parley_decode(s.ptr(), p, C.opus_int32(len(data)), (*C.float)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)), f)
	if n < 0 {
		return 0, opusError(n)
	}
	return int(n), nil
}

// dredDecode synthesises len(pcm) samples starting offset samples before the packet whose DRED
// data dred holds.
func (s decState) dredDecode(dred unsafe.Pointer, offset int, pcm []float32) (int, error) {
	n := C.parley_dred_decode(s.ptr(), dred, C.opus_int32(offset), (*C.float)(unsafe.Pointer(&pcm[0])), C.opus_int32(len(pcm)))
	if n < 0 {
		return 0, opusError(n)
	}
	return int(n), nil
}

// dredState is a DRED decoder (the neural network that turns DRED bits into features) and the
// parsed DRED data of one packet.
type dredState struct {
	dec  []byte  // OpusDREDDecoder
	data []byte  // OpusDRED
	end  []C.int // opus_dred_parse's dred_end, kept here so a parse does not allocate it
}

func newDREDState() (dredState, error) {
	nd, nr := int(C.parley_dred_decoder_size()), int(C.parley_dred_size())
	if nd <= 0 || nr <= 0 {
		return dredState{}, opusError(opusUnimplemented)
	}
	s := dredState{dec: make([]byte, nd), data: make([]byte, nr), end: make([]C.int, 1)}
	if rc := C.parley_dred_decoder_init(unsafe.Pointer(&s.dec[0])); rc != C.OPUS_OK {
		return dredState{}, opusError(rc)
	}
	return s, nil
}

// parse reads the DRED extension of packet, decoding up to maxSamples (at rateHz) of history. It
// returns how far back (in samples at rateHz) the recovered audio reaches, 0 when packet carries
// no DRED.
func (s dredState) parse(packet []byte, maxSamples, rateHz int) (int, error) {
	n := C.parley_dred_parse(unsafe.Pointer(&s.dec[0]), unsafe.Pointer(&s.data[0]),
		(*C.uchar)(unsafe.Pointer(&packet[0])), C.opus_int32(len(packet)), C.opus_int32(maxSamples), C.opus_int32(rateHz), &s.end[0])
	if n < 0 {
		return 0, opusError(n)
	}
	return int(n), nil
}

func (s dredState) ptr() unsafe.Pointer { return unsafe.Pointer(&s.data[0]) }

// libopusVersion is libopus's version string, e.g. "libopus 1.5.2".
func libopusVersion() string { return C.GoString(C.opus_get_version_string()) }

// errorf wraps a libopus error under ErrOpus with what was being done.
func errorf(what string, err error) error { return fmt.Errorf("%w: %s: %v", ErrOpus, what, err) }
