package jitter

import (
	"time"

	"github.com/parley-voice/parley/codec"
)

// rtpClockHz is Opus's RTP clock rate, and the rate the buffer plays at.
const rtpClockHz = codec.RTPClockHz

// maxFrameSamples is the longest Opus packet (120 ms at 48 kHz).
const maxFrameSamples = rtpClockHz * 120 / 1000

// entry is one stored frame: a primary packet, or a redundant copy taken from a RED payload.
type entry struct {
	ts      int64 // extended RTP timestamp of the frame's first sample
	seq     int64 // extended sequence number (primary only)
	red     bool  // a redundant copy: seq unknown
	samples int   // frame duration at 48 kHz
	arrival time.Duration
	n       int // payload bytes in data
	data    [codec.MaxPacketBytes]byte
}

func (e *entry) payload() []byte { return e.data[:e.n] }

// store holds entries sorted by timestamp, at most one per timestamp, in preallocated slots.
// The zero value is not usable; see newStore.
type store struct {
	slots []entry
	free  []int32
	order []int32 // slot indexes, ascending timestamp
}

func newStore(capacity int) *store {
	s := &store{
		slots: make([]entry, capacity),
		free:  make([]int32, capacity),
		order: make([]int32, 0, capacity),
	}
	for i := range s.free {
		s.free[i] = int32(capacity - 1 - i)
	}
	return s
}

func (s *store) len() int { return len(s.order) }

// at returns the i-th entry in timestamp order.
func (s *store) at(i int) *entry { return &s.slots[s.order[i]] }

// search returns the index of the first entry with timestamp ≥ ts.
func (s *store) search(ts int64) int {
	lo, hi := 0, len(s.order)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.slots[s.order[m]].ts < ts {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// find returns the entry with timestamp ts, or nil.
func (s *store) find(ts int64) *entry {
	i := s.search(ts)
	if i < len(s.order) && s.slots[s.order[i]].ts == ts {
		return &s.slots[s.order[i]]
	}
	return nil
}

// insert takes a free slot for timestamp ts (which must not be stored) and returns it, or nil
// when the store is full.
func (s *store) insert(ts int64) *entry {
	if len(s.free) == 0 {
		return nil
	}
	slot := s.free[len(s.free)-1]
	s.free = s.free[:len(s.free)-1]
	i := s.search(ts)
	s.order = s.order[:len(s.order)+1]
	copy(s.order[i+1:], s.order[i:])
	s.order[i] = slot
	e := &s.slots[slot]
	e.ts = ts
	return e
}

// removeAt frees the i-th entry.
func (s *store) removeAt(i int) {
	s.free = append(s.free, s.order[i])
	copy(s.order[i:], s.order[i+1:])
	s.order = s.order[:len(s.order)-1]
}

// dropBefore frees every entry with timestamp < ts and returns how many primaries it freed.
func (s *store) dropBefore(ts int64) (primaries int) {
	k := 0
	for k < len(s.order) && s.slots[s.order[k]].ts < ts {
		if !s.slots[s.order[k]].red {
			primaries++
		}
		s.free = append(s.free, s.order[k])
		k++
	}
	if k > 0 {
		copy(s.order, s.order[k:])
		s.order = s.order[:len(s.order)-k]
	}
	return primaries
}

// opusSamples is the duration at 48 kHz of an Opus packet, from its TOC byte (RFC 6716 §3.1),
// or 0 when the packet is empty or malformed.
func opusSamples(p []byte) int {
	if len(p) == 0 {
		return 0
	}
	toc := p[0]
	cfg := int(toc >> 3)
	var per int // samples per frame at 48 kHz
	switch {
	case cfg < 12: // SILK: 10, 20, 40, 60 ms
		per = [4]int{480, 960, 1920, 2880}[cfg&3]
	case cfg < 16: // hybrid: 10, 20 ms
		per = [2]int{480, 960}[cfg&1]
	default: // CELT: 2.5, 5, 10, 20 ms
		per = [4]int{120, 240, 480, 960}[cfg&3]
	}
	frames := 1
	switch toc & 3 {
	case 1, 2:
		frames = 2
	case 3:
		if len(p) < 2 {
			return 0
		}
		frames = int(p[1] & 0x3f)
	}
	n := per * frames
	if n == 0 || n > maxFrameSamples {
		return 0
	}
	return n
}

// opusHasFEC reports whether an Opus packet carries in-band FEC (LBRR) for the frame before
// it (codec.PacketHasFEC). The mode alone (SILK or hybrid) is not enough: a packet without
// LBRR "decodes" FEC as plain concealment, which took the place of a DRED rebuild.
func opusHasFEC(p []byte) bool {
	ok, err := codec.PacketHasFEC(p)
	return ok && err == nil
}

// seqWindow is how many recent sequence numbers the duplicate detector remembers.
const seqWindow = 1024

// seqTracker extends 16-bit sequence numbers and remembers which recent ones arrived.
type seqTracker struct {
	started bool
	first   int64
	highest int64
	seen    [seqWindow / 64]uint64
}

// extend maps seq to the extended sequence number nearest the highest seen.
func (t *seqTracker) extend(seq uint16) int64 {
	if !t.started {
		return int64(seq) + 1<<20 // keep extended numbers positive
	}
	return t.highest + int64(int16(seq-uint16(t.highest)))
}

// mark records ext as received and reports whether it had been (a duplicate) or is too old
// to tell.
func (t *seqTracker) mark(ext int64) (dup, tooOld bool) {
	if !t.started {
		t.started, t.first, t.highest = true, ext, ext
		t.set(ext)
		return false, false
	}
	if ext <= t.highest-seqWindow {
		return false, true
	}
	if ext > t.highest {
		if ext-t.highest >= seqWindow {
			clear(t.seen[:])
		} else {
			for s := t.highest + 1; s <= ext; s++ {
				t.seen[(s%seqWindow)/64] &^= 1 << (s % 64)
			}
		}
		t.highest = ext
	}
	if ext < t.first {
		t.first = ext
	}
	if t.seen[(ext%seqWindow)/64]&(1<<(ext%64)) != 0 {
		return true, false
	}
	t.set(ext)
	return false, false
}

func (t *seqTracker) set(ext int64) { t.seen[(ext%seqWindow)/64] |= 1 << (ext % 64) }

// expected is the number of packets the sender sent so far, by sequence numbers.
func (t *seqTracker) expected() int64 {
	if !t.started {
		return 0
	}
	return t.highest - t.first + 1
}
