package engine

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/engine/jitter"
	"github.com/parley-voice/parley/engine/media"
)

// chunk is the playout clock's period: the jitter buffer is pulled 10 ms at a time.
const chunk = media.Chunk

// receiver drives the receive step (media.Receiver: jitter buffer, arrival log, jitter
// controller) in real time: ReadRTP → Receive, the playout clock → Pull → Sink. mu guards the
// media receiver (pushed by the read loop, pulled by the playout loop, asked for feedback by
// the adaptation loop) and the peer's report; each loop owns its scratch buffers.
type receiver struct {
	sink  audio.Sink
	now   func() time.Time
	start time.Time // the receiver's clock: media times are durations since start

	mu     sync.Mutex // guards mr, remote, remoteAt
	mr     *media.Receiver
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
}

func newReceiver(s *settings) (*receiver, error) {
	jc := jitter.Config{FEC: !s.NoFEC, DRED: codec.Features().DRED, DecoderComplexity: s.DecoderComplexity, Mode: s.JitterMode}
	cfg := media.ReceiverConfig{Jitter: jc, JitterPolicy: s.JitterPolicy}
	if !s.NoAdapt && s.AdaptJitter && s.JitterPolicy == nil {
		ctl, err := newController(s)
		if err != nil {
			return nil, err
		}
		cfg.JitterControl = ctl
	}
	mr, err := media.NewReceiver(cfg)
	if err != nil {
		return nil, err
	}
	return &receiver{sink: s.Sink, now: s.Now, start: s.Now(), mr: mr}, nil
}

// clock is the receiver's media clock: the duration since the receiver was made.
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
	var buf [1500]byte
	for {
		n, _, err := tr.Read(buf[:])
		if err != nil {
			return
		}
		if !r.rtpRead.Load() {
			r.rtpRead.Store(true)
		}
		r.receive(buf[:n], redPT)
	}
}

// receive takes one RTP packet. It allocates nothing (see BenchmarkReceive).
func (r *receiver) receive(pkt []byte, redPT int) { r.receiveAt(pkt, redPT, r.clock()) }

// receiveAt is receive at media time at.
func (r *receiver) receiveAt(pkt []byte, redPT int, at time.Duration) {
	r.mu.Lock()
	_, err := r.mr.Receive(at, pkt, redPT)
	r.mu.Unlock()
	if err != nil {
		return
	}
	r.touch()
	r.bytesRecv.Add(uint64(len(pkt)))
}

// playLoop pulls 10 ms of audio per tick into the sink until done is closed. Ticks that came late
// are caught up (at most maxCatchUp chunks; older ones are skipped), so the sink sees a steady
// 100 chunks per second.
func (r *receiver) playLoop(done <-chan struct{}) {
	const maxCatchUp = 5
	t := time.NewTicker(chunk)
	defer t.Stop()
	out := make([]float32, audio.SampleRateHz/100)
	begin := r.clock()
	played := int64(0)
	for {
		select {
		case <-done:
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
	r.mr.Pull(at, out)
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
	return r.mr.Buffer().Stats()
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
	if err := rep.unmarshal(b); err != nil {
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
