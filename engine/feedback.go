package engine

import (
	"encoding/binary"
	"fmt"
	"time"
)

// feedback is a message of per-packet arrival feedback: the receiver tells the sender, over the
// data channel every feedbackInterval, when each RTP packet arrived (its own clock), so that the
// sender's adaptation sees what the receiver sees. The receiver numbers its arrivals; every
// message repeats those of the last feedbackSpan, so one lost message (the channel is
// unreliable) loses nothing, and the sender takes each arrival once by its number.
type feedback struct {
	at    time.Duration // the receiver's clock when the message was made
	first uint64        // number of the arrival recs[0]
	n     int           // records in recs
	recs  [maxFeedbackRecords]arrivalRecord
}

// arrivalRecord is one packet that arrived: its RTP sequence number and arrival time on the
// receiver's clock.
type arrivalRecord struct {
	at  time.Duration
	seq uint16
}

// Wire format: version(1) ‖ at µs(8) ‖ first(8) ‖ count(1) ‖ count × (seq(2) ‖ at−arrival µs(4)),
// big-endian; arrivals in arrival order (their age non-increasing).
const (
	feedbackVersion    = 2
	feedbackHeader     = 1 + 8 + 8 + 1
	feedbackRecordSize = 2 + 4
	maxFeedbackRecords = 64
	feedbackMaxSize    = feedbackHeader + maxFeedbackRecords*feedbackRecordSize

	// maxFeedbackClockUs bounds the receiver clock a message may carry (about 35 years), so
	// that decoding cannot overflow a time.Duration.
	maxFeedbackClockUs = 1 << 50
)

// appendBinary appends the message's encoding to b (allocation-free given the capacity,
// feedbackMaxSize).
func (f *feedback) appendBinary(b []byte) []byte {
	b = append(b, feedbackVersion)
	at := max(f.at, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(at/time.Microsecond))
	b = binary.BigEndian.AppendUint64(b, f.first)
	b = append(b, byte(f.n))
	for _, r := range f.recs[:f.n] {
		b = binary.BigEndian.AppendUint16(b, r.seq)
		age := min(max((at-r.at)/time.Microsecond, 0), 1<<32-1)
		b = binary.BigEndian.AppendUint32(b, uint32(age))
	}
	return b
}

// unmarshal decodes a message; anything malformed (size, version, clock range, arrivals out of
// order) is an error wrapping ErrProtocol. It allocates nothing.
func (f *feedback) unmarshal(b []byte) error {
	if len(b) < feedbackHeader || b[0] != feedbackVersion {
		return fmt.Errorf("%w: arrival feedback of %d bytes", ErrProtocol, len(b))
	}
	n := int(b[17])
	if n > maxFeedbackRecords || len(b) != feedbackHeader+n*feedbackRecordSize {
		return fmt.Errorf("%w: arrival feedback of %d bytes with %d records", ErrProtocol, len(b), n)
	}
	us := binary.BigEndian.Uint64(b[1:])
	if us > maxFeedbackClockUs {
		return fmt.Errorf("%w: arrival feedback clock out of range", ErrProtocol)
	}
	f.at = time.Duration(us) * time.Microsecond
	f.first = binary.BigEndian.Uint64(b[9:])
	f.n = n
	prev := uint32(1<<32 - 1)
	for i := range n {
		p := b[feedbackHeader+i*feedbackRecordSize:]
		age := binary.BigEndian.Uint32(p[2:])
		if age > prev {
			return fmt.Errorf("%w: arrival feedback out of order", ErrProtocol)
		}
		prev = age
		f.recs[i] = arrivalRecord{seq: binary.BigEndian.Uint16(p), at: f.at - time.Duration(age)*time.Microsecond}
	}
	return nil
}
