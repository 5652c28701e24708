package media

import "time"

// Tick is how often a driver runs the adaptation (Adapter.Tick, ArrivalLog.FeedbackDue): the
// resolution of its periods.
const Tick = 100 * time.Millisecond

// RTTInterval is how often a driver samples the round-trip time for the policy (the engine
// from ICE's consent checks).
const RTTInterval = time.Second

// sentLogSize is how many packets the sender remembers for feedback, by sequence number.
const sentLogSize = 1024

// sentRecord is a packet the sender sent: when (sender clock) and its size on the wire.
type sentRecord struct {
	at   time.Duration
	size int32
	seq  uint16
	ok   bool
}

// Adapter is the sender's side of the adaptation loop around a Policy: it remembers what was
// sent, decodes the receiver's feedback and matches its arrivals to the send times, maps the
// receiver's clock onto the sender's, and calls Decide every Policy.Period. The engine and the
// bench drive it the same way: OnSend after each packet, OnFeedback for each message that
// arrives, Tick every Tick. Not safe for concurrent use; nothing allocates.
type Adapter struct {
	pol Policy

	sent [sentLogSize]sentRecord // by sequence number % sentLogSize

	fb       feedback // scratch for OnFeedback
	msg      Feedback // handed to the policy (a field: a local would escape through the interface)
	arrivals [maxFeedbackRecords]Arrival
	next     uint64 // number of the next arrival to take
	offset   time.Duration
	haveFB   bool

	rtt        time.Duration
	lastDecide time.Duration
	decided    bool
	sending    bool // a packet was sent: the decision period has started
}

// NewAdapter returns an adapter around p.
func NewAdapter(p Policy) *Adapter { return &Adapter{pol: p} }

// Policy is the adapter's policy.
func (a *Adapter) Policy() Policy { return a.pol }

// OnSend records what a Send did at time at (sender clock); only packets that went out count.
func (a *Adapter) OnSend(at time.Duration, s Sent) {
	if !s.Packet {
		return
	}
	a.sent[s.SequenceNumber%sentLogSize] = sentRecord{at: at, size: int32(s.WireBytes), seq: s.SequenceNumber, ok: true}
	a.sending = true
	a.pol.OnSend(at, s.SequenceNumber, s.WireBytes)
}

// OnFeedback takes one feedback message b that arrived at time at (sender clock): each arrival
// not taken from an earlier message, matched by sequence number to the packet sent, goes to the
// policy. A malformed message is an error wrapping ErrProtocol and changes nothing.
func (a *Adapter) OnFeedback(at time.Duration, b []byte) error {
	if err := a.fb.unmarshal(b); err != nil {
		return err
	}
	if off := at - a.fb.at; !a.haveFB || off < a.offset {
		a.offset = off
	}
	a.haveFB = true
	n := 0
	for i, r := range a.fb.recs[:a.fb.n] {
		if a.fb.first+uint64(i) < a.next {
			continue // taken from an earlier message
		}
		s := a.sent[r.seq%sentLogSize]
		if !s.ok || s.seq != r.seq {
			continue
		}
		a.arrivals[n] = Arrival{Seq: r.seq, Sent: s.at, Arrived: r.at + a.offset, WireBytes: int(s.size)}
		n++
	}
	a.next = max(a.next, a.fb.first+uint64(a.fb.n))
	a.msg = Feedback{Arrived: at, Made: a.fb.at + a.offset, Arrivals: a.arrivals[:n]}
	a.pol.OnFeedback(&a.msg)
	a.msg.Arrivals = nil
	return nil
}

// OnRTT records the latest round-trip sample (non-positive: none), handed to the policy before
// each decision.
func (a *Adapter) OnRTT(rtt time.Duration) {
	if rtt > 0 {
		a.rtt = rtt
	}
}

// Tick runs the policy at time now if a decision is due: at every tick (tick is the driver's)
// after the first packet was sent until the policy makes its first decision, then every
// Policy.Period (within half a tick) after that decision, or sooner when the policy implements
// Urgent and asks. So the decisions fall in the same
// phase of the media in a live call and in the bench, anchored on the first one the policy
// could make (usually once the first feedback is in). ok says the settings returned are to be
// applied from the next frame.
func (a *Adapter) Tick(now, tick time.Duration) (d Decision, ok bool) {
	if !a.sending || a.decided && now-a.lastDecide < a.pol.Period()-tick/2 && !a.urgent(now) {
		return Decision{}, false
	}
	a.pol.OnRTT(now, a.rtt)
	if d, ok = a.pol.Decide(now); ok || a.decided {
		a.decided, a.lastDecide = true, now
	}
	return d, ok
}

// urgent reports whether the policy asks for a decision before its period (see Urgent).
func (a *Adapter) urgent(now time.Duration) bool {
	u, ok := a.pol.(Urgent)
	return ok && u.Urgent(now)
}
