// Package codec is Parley's audio layer: Opus encoding and decoding through libopus (cgo, called
// directly: libopus.go), DTX-aware RTP packetization, RED (RFC 2198) redundancy, PCM frames, WAV
// files and sample-rate conversion.
//
// With libopus 1.5 built with its neural parts (`make` links scripts/opus.sh's static 1.5.2) the
// decoder also offers Deep PLC and OSCE enhancement (Decoder.SetComplexity), the encoder Deep
// REDundancy (Settings.DRED), and a receiver rebuilds lost frames from a later packet's DRED
// (DRED, Decoder.DecodeDRED). Against an older system libopus (a plain `go build` on Debian
// bookworm links 1.3.1) these fail with ErrUnavailable; Features reports what is linked.
//
// Audio inside Parley is mono float32 in [-1, 1]; the call path runs at 48 kHz, and the encoder
// also accepts 8 and 16 kHz input for benchmarks. Frame sizes are 10, 20, 40 or 60 ms.
//
// The per-frame paths (Encoder.Encode, Decoder.Decode/DecodeFEC/DecodePLC/DecodeDRED, DRED.Parse,
// Packetizer.Next,
// PackRED, UnpackRED) allocate nothing: buffers come from the caller or are owned by the value.
package codec
