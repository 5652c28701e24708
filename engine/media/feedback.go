package media

import (
	"encoding/binary"
	"fmt"
	"time"
)

// The feedback cadence, the same in a live call and in the bench: every FeedbackInterval the
// receiver sends the arrivals of the last FeedbackSpan (so each arrival travels twice, and one
// lost message loses nothing). At 20 ms frames that is five messages a second of ~160 bytes
// (23 records of 6 bytes) plus DTLS, SCTP, UDP and IP headers: measured on a natlab call,
// 5.5–6 more packets and 10.5–11 kb/s more from the receiver, and 4.5–5 more packets a second
// (SCTP acknowledgements) back.
const (
	FeedbackInterval = 200 * time.Millisecond
	FeedbackSpan     = 450 * time.Millisecond
	// FeedbackMaxSize is the largest feedback message: a buffer of this capacity makes
	// AppendFeedback allocation-free.
	FeedbackMaxSize = feedbackHeader + maxFeedbackRecords*feedbackRecordSize

	arrivalLogSize = 256 // arrivals the receiver keeps for feedback (5 s at 20 ms frames)
)

// feedback is one message of per-packet arrival feedback: the receiver tells the sender when
// each RTP packet arrived (its own clock). The receiver numbers its arrivals; the sender takes
// each arrival once by its number.
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
	// FeedbackVersion is the first byte of every feedback message (a data channel carrying
	// other messages too tells them apart by it).
	FeedbackVersion    = 2
	feedbackHeader     = 1 + 8 + 8 + 1
	feedbackRecordSize = 2 + 4
	maxFeedbackRecords = 64

	// maxFeedbackClockUs bounds the receiver clock a message may carry (about 35 years), so
	// that decoding cannot overflow a time.Duration.
	maxFeedbackClockUs = 1 << 50
)

// appendBinary appends the message's encoding to b (allocation-free given the capacity,
// FeedbackMaxSize).
func (f *feedback) appendBinary(b []byte) []byte {
	b = append(b, FeedbackVersion)
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
	if len(b) < feedbackHeader || b[0] != FeedbackVersion {
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

// ArrivalLog is the receiver's side of the feedback: it logs every RTP packet that arrives
// and builds the feedback messages. The zero value is ready to use. Not safe for concurrent
// use; nothing allocates.
type ArrivalLog struct {
	log  [arrivalLogSize]arrivalRecord // ring; arrival number k is at k % arrivalLogSize
	n    uint64                        // arrivals so far
	fb   feedback                      // scratch for AppendFeedback
	last time.Duration                 // when the last message was made
	sent bool                          // a message was made
}

// OnPacket logs a packet with sequence number seq that arrived at time at (the receiver's
// clock).
func (l *ArrivalLog) OnPacket(at time.Duration, seq uint16) {
	l.log[l.n%arrivalLogSize] = arrivalRecord{at: at, seq: seq}
	l.n++
}

// Arrivals is how many packets were logged.
func (l *ArrivalLog) Arrivals() uint64 { return l.n }

// AppendFeedback appends to b the feedback message for time now (the receiver's clock): the
// arrivals of the last FeedbackSpan, at most 64. With none it returns b unchanged. It allocates
// nothing given b's capacity (FeedbackMaxSize).
func (l *ArrivalLog) AppendFeedback(now time.Duration, b []byte) []byte {
	k := uint64(0)
	for k < maxFeedbackRecords && k < l.n && k < arrivalLogSize {
		if l.log[(l.n-1-k)%arrivalLogSize].at < now-FeedbackSpan {
			break
		}
		k++
	}
	if k == 0 {
		return b
	}
	l.fb.at, l.fb.first, l.fb.n = now, l.n-k, int(k)
	for i := range k {
		l.fb.recs[i] = l.log[(l.fb.first+i)%arrivalLogSize]
	}
	return l.fb.appendBinary(b)
}

// FeedbackDue reports whether a driver ticking every tick should send feedback at now: once
// every FeedbackInterval (within half a tick). It records that it said so.
func (l *ArrivalLog) FeedbackDue(now, tick time.Duration) bool {
	if l.sent && now-l.last < FeedbackInterval-tick/2 {
		return false
	}
	l.sent, l.last = true, now
	return true
}
