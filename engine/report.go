package engine

import (
	"encoding/binary"
	"fmt"
	"time"
)

// ReceiverReport is what one side tells the other, several times a second over the call's data
// channel, about the audio it receives: what the adaptation needs and RTCP receiver reports do
// not carry (concealment, recovery, jitter-buffer delay). Counters are cumulative for the call.
type ReceiverReport struct {
	Seq              uint32 // increases by one per report
	PacketsReceived  uint64
	PacketsLost      int64 // RFC 3550 cumulative loss (expected − received)
	PacketsDiscarded uint64
	ConcealedSamples uint64        // 48 kHz samples synthesized by PLC
	TotalSamples     uint64        // 48 kHz samples played out
	RecoveredFEC     uint64        // frames rebuilt from Opus in-band FEC
	RecoveredRED     uint64        // frames rebuilt from RED copies
	BufferDelay      time.Duration // mean jitter-buffer delay so far
	TargetDelay      time.Duration // current jitter-buffer target
}

// Wire format (version 1): version(1) ‖ seq(4) ‖ eight 8-byte fields in declaration order,
// delays in microseconds; all big-endian.
const (
	reportVersion = 1
	reportSize    = 1 + 4 + 8*9

	// maxReportDelayUs bounds the delays a report may carry (one hour), so that decoding
	// cannot overflow a time.Duration.
	maxReportDelayUs = uint64(time.Hour / time.Microsecond)
)

// appendBinary appends the report's encoding to b.
func (r ReceiverReport) appendBinary(b []byte) []byte {
	b = append(b, reportVersion)
	b = binary.BigEndian.AppendUint32(b, r.Seq)
	for _, v := range [...]uint64{
		r.PacketsReceived, uint64(r.PacketsLost), r.PacketsDiscarded, r.ConcealedSamples, r.TotalSamples,
		r.RecoveredFEC, r.RecoveredRED, uint64(r.BufferDelay.Microseconds()), uint64(r.TargetDelay.Microseconds()),
	} {
		b = binary.BigEndian.AppendUint64(b, v)
	}
	return b
}

// unmarshal decodes a report; anything but a version-1 report of exactly the right size is an
// error wrapping ErrProtocol. The wire format is the engine's own (peers speak it on the data
// channel); it is not an API.
func (r *ReceiverReport) unmarshal(b []byte) error {
	if len(b) != reportSize || b[0] != reportVersion {
		return fmt.Errorf("%w: receiver report of %d bytes", ErrProtocol, len(b))
	}
	r.Seq = binary.BigEndian.Uint32(b[1:])
	v := func(i int) uint64 { return binary.BigEndian.Uint64(b[5+8*i:]) }
	r.PacketsReceived, r.PacketsLost, r.PacketsDiscarded = v(0), int64(v(1)), v(2)
	r.ConcealedSamples, r.TotalSamples, r.RecoveredFEC, r.RecoveredRED = v(3), v(4), v(5), v(6)
	if v(7) > maxReportDelayUs || v(8) > maxReportDelayUs {
		return fmt.Errorf("%w: receiver report delay out of range", ErrProtocol)
	}
	r.BufferDelay = time.Duration(int64(v(7))) * time.Microsecond
	r.TargetDelay = time.Duration(int64(v(8))) * time.Microsecond
	return nil
}
