// Package bench measures Parley: an offline media pipeline that runs real libopus encoding and
// decoding through the userspace link emulator in virtual time (many times faster than real
// time), a pluggable receiver (a fixed-delay jitter buffer here; the engine's adaptive one plugs
// in the same way), speech quality by PESQ (bench/pesq) on the decoded audio, and the codec
// sweep behind `parley bench codec` with its table, CSV/JSON and PNG reports.
package bench
