package jitter

import (
	"fmt"
	"time"

	"github.com/parley-voice/parley/codec"
)

// Packet is one received RTP packet of the voice stream.
type Packet struct {
	SequenceNumber uint16
	Timestamp      uint32 // RTP timestamp (48 kHz) of the primary frame's first sample
	// RED says Payload is a RED payload (RFC 2198) whose last block is the primary Opus frame
	// and whose other blocks are redundant copies of earlier frames; otherwise Payload is
	// plain Opus.
	RED     bool
	Payload []byte // copied by Push; the caller may reuse it
}

// Buffer is an adaptive jitter buffer for one Opus stream: packets go in with Push as they
// arrive, 48 kHz mono audio comes out with Pull at the pace of the playout clock. Time is
// whatever the caller says it is (both take the current time), so the buffer runs equally in
// real time and in virtual time; it starts no goroutines and reads no clock.
//
// Make one with New; the zero value is not usable. Not safe for concurrent use: the caller
// serialises Push, Pull, Stats and SetTargetPolicy (the engine guards it with a mutex). Times
// passed in must not decrease.
type Buffer struct {
	// Immutable after New.
	cfg  Config
	dec  *codec.Decoder
	dred *codec.DRED // nil unless cfg.DRED

	policy  TargetPolicy
	est     *estimator
	sender  senderView
	pkts    *store
	seqs    seqTracker
	sync    syncBuffer
	frame   []float32 // decoder output
	scratch []float32 // decimated audio for the lag search
	blocks  []codec.REDBlock

	started     bool  // a valid packet arrived: pos and startAt are set
	playing     bool  // playout began
	refTS       int64 // highest extended RTP timestamp seen
	haveTS      bool
	pos         int64 // extended RTP timestamp of the next sample to render
	startAt     time.Duration
	firstPlayAt time.Duration
	firstPlayTS uint32
	clock       time.Duration // playout time of the sync buffer's first sample (during Pull)

	target   time.Duration
	minDelay time.Duration
	chunk    time.Duration // duration of the last Pull

	lastSeq    int64 // extended sequence number of the last primary played
	haveSeq    bool
	recovered  int     // frames recovered by RED/FEC since lastSeq
	gapLoss    int     // samples concealed as loss since lastSeq
	lastFrame  int     // samples of the last decoded frame
	stall      int     // samples concealed while the position was held
	skipped    int     // samples concealed after the hold limit, the position moving on
	grownAt    int64   // the position at which the last growth was inserted
	stallQuiet int     // of stall and skipped, near silent
	concealing bool    // the last rendered audio was concealment
	credit     float64 // stretch budget in samples
	speechPow  float64 // recent speech power, for the low-energy test
	offTarget  int64   // samples played since the margin was last within the dead band
	quietRun   int64   // samples of low-energy audio decoded in a row
	dredTS     int64   // extended timestamp of the packet whose DRED dred holds
	dredOK     bool    // dred holds the parse of the packet at dredTS

	stats Stats
}

// New returns a Buffer configured by cfg (zero fields take their defaults) with the default
// target policy.
func New(cfg Config) (*Buffer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	dec, err := codec.NewDecoder(rtpClockHz)
	if err != nil {
		return nil, fmt.Errorf("jitter: %w", err)
	}
	if cfg.DecoderComplexity != 0 {
		if err := dec.SetComplexity(cfg.DecoderComplexity); err != nil {
			return nil, fmt.Errorf("jitter: %w", err)
		}
	}
	var dred *codec.DRED
	if cfg.DRED {
		if dred, err = codec.NewDRED(rtpClockHz); err != nil {
			return nil, fmt.Errorf("jitter: %w", err)
		}
	}
	return &Buffer{
		cfg:       cfg,
		dec:       dec,
		dred:      dred,
		policy:    modePolicy(cfg.Mode),
		est:       newEstimator(cfg.ForgetFactor, cfg.Quantile),
		pkts:      newStore(cfg.Capacity),
		sync:      newSyncBuffer(4 * maxFrameSamples),
		frame:     make([]float32, maxFrameSamples),
		scratch:   make([]float32, 4*maxFrameSamples/decim),
		blocks:    make([]codec.REDBlock, 0, 16),
		target:    cfg.InitialTarget,
		lastFrame: rtpClockHz / 50,
		chunk:     10 * time.Millisecond,
	}, nil
}

// modePolicy is the target policy of mode m (after defaults).
func modePolicy(m Mode) TargetPolicy {
	switch m {
	case ModeTrack:
		return TrackPolicy
	case ModeNetEq:
		return NetEqPolicy
	}
	return DefaultPolicy
}

// SetTargetPolicy replaces the target policy (nil restores the mode's own: DefaultPolicy,
// NetEqPolicy or TrackPolicy). It takes effect at the next packet; the result is always
// clamped to [MinTarget, MaxTarget].
func (b *Buffer) SetTargetPolicy(p TargetPolicy) {
	if p == nil {
		p = modePolicy(b.cfg.Mode)
	}
	b.policy = p
}

// Target is the current target delay.
func (b *Buffer) Target() time.Duration { return b.target }

// PlayoutStart reports when playout began (the time passed to the first Pull that played
// audio) and the RTP timestamp of the first sample it played. Before that, ok is false.
func (b *Buffer) PlayoutStart() (at time.Duration, ts uint32, ok bool) {
	return b.firstPlayAt, b.firstPlayTS, b.playing
}

// extendTS maps an RTP timestamp to the extended timestamp nearest the highest seen.
func (b *Buffer) extendTS(ts uint32) int64 {
	if !b.haveTS {
		b.haveTS = true
		b.refTS = int64(ts) + 1<<40 // keep extended timestamps positive
		return b.refTS
	}
	e := b.refTS + int64(int32(ts-uint32(b.refTS)))
	if e > b.refTS {
		b.refTS = e
	}
	return e
}

// Push stores a packet that arrived at time at. It returns nil when the packet was stored, or
// an error wrapping ErrDuplicate, ErrLate, ErrMalformed or ErrFull when it was dropped; either
// way it is accounted for in Stats. Push never panics on malformed input. In steady state it
// allocates nothing.
func (b *Buffer) Push(at time.Duration, p Packet) error {
	b.stats.PacketsReceived++
	eseq := b.seqs.extend(p.SequenceNumber)
	newest := !b.seqs.started || eseq > b.seqs.highest
	gap := eseq - b.seqs.highest - 1
	if !b.seqs.started {
		gap = 0
	}
	dup, tooOld := b.seqs.mark(eseq)
	if dup {
		b.stats.PacketsDuplicated++
		return ErrDuplicate
	}
	ets := b.extendTS(p.Timestamp)
	if tooOld {
		b.stats.PacketsDiscarded++
		return ErrLate
	}
	primary := p.Payload
	if p.RED {
		var err error
		b.blocks, err = codec.UnpackRED(p.Payload, b.blocks)
		if err != nil || len(b.blocks) == 0 {
			b.stats.PacketsMalformed++
			return fmt.Errorf("%w: RED: %v", ErrMalformed, err)
		}
		primary = b.blocks[len(b.blocks)-1].Data
	}
	n := opusSamples(primary)
	if n == 0 || len(primary) > codec.MaxPacketBytes {
		b.stats.PacketsMalformed++
		return fmt.Errorf("%w: Opus packet of %d bytes", ErrMalformed, len(primary))
	}

	if b.playing && newest && b.pos-ets > b.resyncGap() {
		b.restart(ets)
	}
	b.noteSender(at, p.RED, primary, newest, gap, n)
	b.est.update(at, ets, tsDuration(int64(n)))
	b.updateTarget(at, n)
	if !b.started {
		b.started = true
		b.pos = ets
		b.startAt = at + b.cfg.InitialTarget
	}
	if ets < b.pos {
		if b.playing {
			b.stats.PacketsDiscarded++
			return ErrLate
		}
		b.pos = ets // reordered before playout began: start earlier
	}
	if b.cfg.FEC && opusHasFEC(primary) {
		b.stats.FECPacketsReceived++
	}
	e := b.pkts.find(ets)
	switch {
	case e != nil && !e.red:
		// Same timestamp, another sequence number: a retransmission or a sender bug.
		b.stats.PacketsDuplicated++
		return ErrDuplicate
	case e == nil:
		if e = b.pkts.insert(ets); e == nil {
			b.stats.PacketsDiscarded++
			return ErrFull
		}
	}
	e.seq, e.red, e.samples, e.arrival = eseq, false, n, at
	e.n = copy(e.data[:], primary)

	if p.RED {
		for _, blk := range b.blocks[:len(b.blocks)-1] {
			bts := ets - int64(blk.TimestampOffset)
			m := opusSamples(blk.Data)
			if bts < b.pos || m == 0 || len(blk.Data) > codec.MaxPacketBytes || b.pkts.find(bts) != nil {
				continue
			}
			r := b.pkts.insert(bts)
			if r == nil {
				break
			}
			r.seq, r.red, r.samples, r.arrival = 0, true, m, at
			r.n = copy(r.data[:], blk.Data)
		}
	}
	return nil
}

// restart follows a sender whose timestamps jumped back (a restarted stream): a packet with
// a new sequence number lies further behind the playout position than any network explains.
// Stored packets and the estimator's minimum belong to the old timeline and are dropped.
func (b *Buffer) restart(ets int64) {
	b.stats.PacketsDiscarded += uint64(b.pkts.dropBefore(1<<62 - 1))
	b.commitStall()
	b.est.n = 0
	b.pos = ets
	b.haveSeq = false
}

// noteSender updates what the packets say about the sender: loss (sequence gaps), RED depth
// (the oldest copy's distance in frames of n samples) and in-band FEC (LBRR).
func (b *Buffer) noteSender(at time.Duration, red bool, primary []byte, newest bool, gap int64, n int) {
	b.sender.onPacket(at, newest, gap)
	if red {
		depth := 0
		for _, blk := range b.blocks[:len(b.blocks)-1] {
			depth = max(depth, (int(blk.TimestampOffset)+n-1)/n)
		}
		b.sender.redDepth = min(depth, 16)
	} else if newest {
		b.sender.redDepth = 0
	}
	if has, _ := codec.PacketHasFEC(primary); has {
		b.sender.lbrr, b.sender.lbrrAt = true, at
	}
}

// updateTarget asks the policy for a new target after a packet of n samples arrived.
func (b *Buffer) updateTarget(at time.Duration, n int) {
	e := Estimate{
		Percentile: b.est.quantile(b.cfg.Quantile),
		Last:       b.est.last,
		Peak:       b.est.peak(),
		Recent:     b.est.recent.quantile(b.cfg.Quantile),
		Loss:       b.sender.loss,
		REDDepth:   b.sender.redDepth,
		FEC:        b.sender.fec(at),
		DREDReach:  b.sender.dred(at),
		LossEvents: b.sender.lossEvents(at),
		Chunk:      b.chunk,
		Frame:      tsDuration(int64(n)),
		MinTarget:  b.cfg.MinTarget,
		MaxTarget:  b.cfg.MaxTarget,
		est:        b.est,
	}
	if e.DREDReach > 0 {
		e.LossRun = b.sender.coverRuns(at, e.LossEvents >= defaultLossEvents)
	}
	b.minDelay = e.Percentile
	b.target = min(max(b.policy(e), b.cfg.MinTarget), b.cfg.MaxTarget)
}

// Pull fills out with the audio due from time at on (48 kHz mono, clipped to [-1, 1]; 10 ms
// chunks are the intended use, any length works). Before playout begins — InitialTarget after
// the first packet — it writes silence. In steady state it allocates nothing.
func (b *Buffer) Pull(at time.Duration, out []float32) {
	if !b.playing {
		if !b.started || at < b.startAt {
			clear(out)
			return
		}
		b.playing = true
		b.firstPlayAt, b.firstPlayTS = at, uint32(b.pos)
	}
	b.clock = at
	b.chunk = tsDuration(int64(len(out)))
	for n := 0; n < len(out); {
		need := min(len(out)-n, 2*rtpClockHz/100)
		for guard := 0; b.sync.len() < need && guard < 64; guard++ {
			b.render()
		}
		if b.sync.len() == 0 { // cannot happen; never loop forever
			clear(out[n:])
			return
		}
		n += b.emit(out[n:])
	}
	b.stats.TotalSamplesReceived += uint64(len(out))
	ex := b.margin() - b.target
	if ex > accelBand || ex < -decelBand {
		b.offTarget += int64(len(out))
	} else {
		b.offTarget = 0
	}
	rate := b.cfg.MaxStretchRate
	if b.shedding(ex) {
		rate *= shedGain
	}
	b.credit = min(b.credit+rate*float64(len(out)), maxLag)
}

// emit copies buffered samples to out, accounting their delay, and returns how many.
func (b *Buffer) emit(out []float32) int {
	c := min(len(out), b.sync.len())
	s := &b.sync
	for i, v := range s.pcm[s.rd : s.rd+c] {
		out[i] = min(max(v, -1), 1) // Opus may overshoot full scale; Parley audio is in [-1, 1]
	}
	// Sum per run of samples from one packet: sample i of a run starting at i0 waited
	// clock + (i0+i)/48 kHz − arrival.
	const dt = 1.0 / rtpClockHz
	arr := s.arr[s.rd : s.rd+c]
	for i0 := 0; i0 < len(arr); {
		a, k := arr[i0], 1
		for i0+k < len(arr) && arr[i0+k] == a {
			k++
		}
		if a >= 0 {
			fk := float64(k)
			first := (b.clock - a).Seconds() + float64(i0)*dt
			b.stats.JitterBufferDelay += fk*first + dt*fk*(fk-1)/2
			b.stats.JitterBufferEmittedCount += uint64(k)
			b.stats.JitterBufferTargetDelay += fk * b.target.Seconds()
			b.stats.JitterBufferMinimumDelay += fk * b.minDelay.Seconds()
		}
		i0 += k
	}
	s.rd += c
	b.clock += tsDuration(int64(c))
	return c
}

// margin is the playout margin of a packet arriving with the smallest recent delay: when the
// sample at pos will play, minus when such a packet carrying it would have arrived.
func (b *Buffer) margin() time.Duration {
	if !b.est.haveOffset {
		return b.target
	}
	return b.clock + tsDuration(int64(b.sync.len())) - tsDuration(b.pos) - b.est.minOffset
}

// Stats returns the counters so far and the current level, target and margin.
func (b *Buffer) Stats() Stats {
	s := b.stats
	s.PacketsLost = b.seqs.expected() - int64(b.stats.PacketsReceived-b.stats.PacketsDuplicated)
	if s.PacketsLost < 0 {
		s.PacketsLost = 0
	}
	level := int64(b.sync.len())
	if k := b.pkts.len(); k > 0 {
		last := b.pkts.at(k - 1)
		level += max(0, last.ts+int64(last.samples)-b.pos)
	}
	s.BufferLevel = tsDuration(level)
	s.TargetDelay = b.target
	if b.playing {
		s.Margin = b.margin()
	}
	return s
}
