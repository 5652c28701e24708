package media

import "time"

// Policy is a sender's adaptation: it sees every packet the sender sends and the receiver's
// arrival feedback, and decides the send settings. Today's adapt controller is the default
// (AdaptPolicy); the bench's baselines (bench/baseline) and a learned policy implement it too.
//
// Contract:
//   - All times are on the sender's clock (a time.Duration since the sender started): the
//     engine's real clock, the bench's virtual one. Calls come in non-decreasing time order.
//   - The driver calls OnSend for every packet sent, OnFeedback for every feedback message that
//     arrives (whatever its age), OnRTT before each Decide with the latest round-trip sample,
//     and Decide at every tick (100 ms) once a packet was sent until Decide first returns ok,
//     then every Period after that (within half a tick; see Adapter.Tick).
//   - Decide returns ok=false to keep the settings in force (no information yet, the sender is
//     idle); with ok the driver applies Decision.Settings from the next frame on, even when
//     unchanged. Settings must be valid (Settings.Validate).
//   - Implementations are single-threaded (the engine serialises the calls under a lock) and
//     deterministic given the calls: the bench replays a run by replaying them. They should not
//     allocate in OnSend and OnFeedback (once per packet), and must not keep Feedback.Arrivals
//     beyond the call.
type Policy interface {
	// Initial is the settings to start with, before the first decision.
	Initial() Settings
	// Period is how often Decide is called.
	Period() time.Duration
	// OnSend reports a packet sent at time at with sequence number seq and wireBytes on the
	// wire (payload plus OverheadBytes).
	OnSend(at time.Duration, seq uint16, wireBytes int)
	// OnFeedback reports one feedback message, its arrivals matched to the packets sent.
	OnFeedback(f *Feedback)
	// OnRTT reports the path's round-trip time as known at time at (0: unknown yet).
	OnRTT(at, rtt time.Duration)
	// Decide returns the settings from now on, or ok=false to keep those in force.
	Decide(now time.Duration) (d Decision, ok bool)
}

// Urgent is implemented by a Policy that may need a decision before its Period has passed: a
// capacity drop shows in one feedback message, and every tick spent waiting fills the
// bottleneck's queue. Between decisions the Adapter asks Urgent at every tick (after any
// feedback of that tick was given to OnFeedback); true makes it call OnRTT and Decide at once,
// and the next Period runs from then. The policy bounds how often it asks.
type Urgent interface {
	Urgent(now time.Duration) bool
}

// Decision is what a Policy decided.
type Decision struct {
	Settings
	// JitterTarget is the receiver's target playout delay above the base one-way delay the
	// policy would like, for a receiver that follows the sender's decisions (the bench's
	// "adapt" strategy); 0 leaves the receiver's own target. A live call does not send it: the
	// receiver sets its own target.
	JitterTarget time.Duration
}

// Feedback is one arrival feedback message as the sender's policy sees it.
type Feedback struct {
	// Arrived is when the message arrived (sender clock).
	Arrived time.Duration
	// Made is when the receiver made it, mapped onto the sender's clock with the least
	// (arrival − the receiver's clock) seen so far: the clock offset plus the least reverse
	// delay, a constant that one-way delays above their minimum cancel.
	Made time.Duration
	// Arrivals are the packets reported for the first time, in arrival order, matched to the
	// packets sent (arrivals of packets the sender no longer remembers are left out). Valid
	// only during OnFeedback.
	Arrivals []Arrival
}

// Arrival is one packet the receiver reported.
type Arrival struct {
	Seq uint16
	// Sent is when it was sent and Arrived when it arrived, mapped onto the sender's clock as
	// Feedback.Made is (so Arrived − Sent is the one-way delay above the least reverse delay).
	Sent, Arrived time.Duration
	WireBytes     int
}
