package engine

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/engine/jitter"
)

// chunk is the playout clock's period: the jitter buffer is pulled 10 ms at a time.
const chunk = 10 * time.Millisecond

// receiver is the receive pipeline: ReadRTP → jitter buffer → playout clock → Sink. The
// buffer is shared by the read loop (Push) and the playout loop (Pull) under mu; each loop
// owns its scratch buffers.
type receiver struct {
	sink  audio.Sink
	now   func() time.Time
	start time.Time // the time base of the buffer's clock

	mu     sync.Mutex // guards buf, remote, remoteAt
	buf    *jitter.Buffer
	remote ReceiverReport
	// remoteAt is when the last report arrived (zero: none yet).
	remoteAt time.Time

	last atomic.Int64 // unix nanoseconds of the last packet or report from the peer
	// rtpRead is set once the first RTP packet has come out of the track. Stats and the
	// adaptation read the RTT and relay protocol from pion's ICE transport (fromPion) only
	// after it is set: by then ICE has started, which pion does unsynchronised with readers.
	rtpRead   atomic.Bool
	bytesRecv atomic.Uint64
	sinkErr   atomic.Bool
	reportSeq uint32 // owned by the report loop

	// ad is the receive side of the adaptation: the arrival log fed back to the peer always,
	// the jitter-target controller with Config.AdaptJitter.
	ad *rxAdapt
}

func newReceiver(s *settings) (*receiver, error) {
	ad, err := newRxAdapt(s)
	if err != nil {
		return nil, err
	}
	jc := jitter.Config{FEC: !s.NoFEC}
	if ad.ctl != nil {
		// The adaptation's target is above the base delay and may be as low as adapt's
		// MinTarget; playout starts at its initial target (plus the chunk, as bench does).
		jc.MinTarget = 10 * time.Millisecond
		jc.InitialTarget = time.Duration(ad.target.Load()) + chunk
	}
	b, err := jitter.New(jc)
	if err != nil {
		return nil, err
	}
	switch {
	case s.JitterPolicy != nil:
		b.SetTargetPolicy(s.JitterPolicy)
	case ad.ctl != nil:
		b.SetTargetPolicy(ad.policy)
	}
	return &receiver{sink: s.Sink, now: s.Now, start: s.Now(), buf: b, ad: ad}, nil
}

// clock is the buffer's time: the duration since the receiver was made.
func (r *receiver) clock() time.Duration { return r.now().Sub(r.start) }

func (r *receiver) touch() { r.last.Store(r.now().UnixNano()) }

// lastArrival is when anything last came from the peer (zero: nothing yet).
func (r *receiver) lastArrival() time.Time {
	n := r.last.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// readLoop reads the remote track until the connection closes, pushing every packet into the
// jitter buffer. The RED payload type is looked up from the negotiated codecs.
func (r *receiver) readLoop(tr *webrtc.TrackRemote, rc *webrtc.RTPReceiver) {
	redPT := -1
	for _, cp := range rc.GetParameters().Codecs {
		if strings.EqualFold(cp.MimeType, "audio/red") {
			redPT = int(cp.PayloadType)
		}
	}
	var (
		buf [1500]byte
		hdr rtp.Header
	)
	for {
		n, _, err := tr.Read(buf[:])
		if err != nil {
			return
		}
		if !r.rtpRead.Load() {
			r.rtpRead.Store(true)
		}
		r.receive(&hdr, buf[:n], redPT)
	}
}

// receive parses one RTP packet and pushes it. It allocates nothing (see BenchmarkReceive).
func (r *receiver) receive(hdr *rtp.Header, pkt []byte, redPT int) {
	r.receiveAt(hdr, pkt, redPT, r.clock())
}

// receiveAt is receive at buffer time at.
func (r *receiver) receiveAt(hdr *rtp.Header, pkt []byte, redPT int, at time.Duration) {
	hl, err := hdr.Unmarshal(pkt)
	if err != nil {
		return
	}
	end := len(pkt)
	if hdr.Padding && end > hl {
		end -= int(pkt[end-1])
	}
	if end <= hl {
		return
	}
	r.touch()
	r.bytesRecv.Add(uint64(len(pkt)))
	p := jitter.Packet{
		SequenceNumber: hdr.SequenceNumber, Timestamp: hdr.Timestamp,
		RED: int(hdr.PayloadType) == redPT, Payload: pkt[hl:end],
	}
	r.mu.Lock()
	_ = r.buf.Push(at, p) // every outcome is counted in the buffer's stats
	r.mu.Unlock()
	r.ad.onPacket(at, hdr.Timestamp, hdr.SequenceNumber, end-hl)
}

// playLoop pulls 10 ms of audio per tick into the sink until ctx ends. Ticks that came late
// are caught up (at most maxCatchUp chunks; older ones are skipped), so the sink sees a steady
// 100 chunks per second.
func (r *receiver) playLoop(ctx context.Context) {
	const maxCatchUp = 5
	t := time.NewTicker(chunk)
	defer t.Stop()
	out := make([]float32, audio.SampleRateHz/100)
	begin := r.clock()
	played := int64(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		due := int64((r.clock() - begin) / chunk)
		if due-played > maxCatchUp {
			played = due - maxCatchUp
		}
		for ; played < due; played++ {
			r.pull(begin+time.Duration(played)*chunk, out)
		}
	}
}

// pull plays one chunk due at time at. It allocates nothing.
func (r *receiver) pull(at time.Duration, out []float32) {
	r.mu.Lock()
	r.buf.Pull(at, out)
	r.mu.Unlock()
	if r.sinkErr.Load() {
		return
	}
	if err := r.sink.Write(out); err != nil {
		r.sinkErr.Store(true)
	}
}

// stats returns the jitter buffer's counters.
func (r *receiver) stats() jitter.Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.Stats()
}

// report builds this side's receiver report from the buffer's counters.
func (r *receiver) report() ReceiverReport {
	st := r.stats()
	r.reportSeq++
	return ReceiverReport{
		Seq:              r.reportSeq,
		PacketsReceived:  st.PacketsReceived,
		PacketsLost:      st.PacketsLost,
		PacketsDiscarded: st.PacketsDiscarded,
		ConcealedSamples: st.ConcealedSamples,
		TotalSamples:     st.TotalSamplesReceived,
		RecoveredFEC:     st.FramesRecoveredFEC,
		RecoveredRED:     st.FramesRecoveredRED,
		BufferDelay:      st.MeanDelay(),
		TargetDelay:      st.TargetDelay,
	}
}

// onReport stores a report from the peer; malformed ones are dropped.
func (r *receiver) onReport(b []byte) {
	r.touch()
	var rep ReceiverReport
	if err := rep.UnmarshalBinary(b); err != nil {
		return
	}
	r.mu.Lock()
	if rep.Seq > r.remote.Seq || r.remoteAt.IsZero() {
		r.remote, r.remoteAt = rep, r.now()
	}
	r.mu.Unlock()
}

// remoteReport returns the latest report from the peer.
func (r *receiver) remoteReport() (ReceiverReport, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.remote, r.remoteAt
}
