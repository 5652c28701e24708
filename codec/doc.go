// Package codec is Parley's audio layer: Opus encoding and decoding through libopus (cgo, via
// gopkg.in/hraban/opus.v2), DTX-aware RTP packetization, RED (RFC 2198) redundancy, PCM frames,
// WAV files and sample-rate conversion.
//
// Audio inside Parley is mono float32 in [-1, 1]; the call path runs at 48 kHz, and the encoder
// also accepts 8 and 16 kHz input for benchmarks. Frame sizes are 10, 20, 40 or 60 ms.
//
// The per-frame paths (Encoder.Encode, Decoder.Decode/DecodeFEC/DecodePLC, Packetizer.Next,
// PackRED, UnpackRED) allocate nothing: buffers come from the caller or are owned by the value.
package codec
