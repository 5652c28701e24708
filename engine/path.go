package engine

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/stun/v4"
	"github.com/pion/webrtc/v4"
)

// Warm standby paths. pion/ice keeps every candidate pair checked, not only the selected one,
// once renomination is on (SettingEngine.SetICERenomination: the controlling agent pings all
// pairs that have not failed at each keepalive tick); its automatic switching is turned off
// (an interval of renominationOff) because its rule — a pair with 10 ms less RTT, or a better
// score — switches on a cellular link's jitter and never on a dead path. The switching is
// ours, on evidence:
//
//   - pion hands every connectivity check that arrives to a binding-request handler
//     (SettingEngine.SetICEBindingRequestHandler) together with its *ice.CandidatePair; the
//     handler's true makes that pair the selected one (the pair this side sends on) at once,
//     with no ICE restart. The handler keeps a table of the pairs the peer reaches us on and
//     when it last did (the standby's liveness).
//   - Parley's own checks, STUN Binding requests with the attribute attrPath that the engine
//     writes on a chosen pair (CandidatePair.Write), authenticated with the ICE credentials
//     like pion's own, carry a small protocol between the two engines:
//     probe → echo (does this pair carry us to the peer and back right now, and in what time?),
//     sent on every known pair every helloEvery (this teaches the controlling side the pairs,
//     keeps them fresh, and measures each pair's round trip), and switch → switched (the sender
//     moves to this pair; the receiver follows and confirms, and the sender moves on the
//     confirmation).
//
// The watchdog (failover.go) probes the active pair and the standby pairs together while the
// active path is silent beyond an adaptive threshold. The evidence to switch is an echo back
// over a standby while the active pair's echo to the same round is overdue (1.5 times its
// round trip plus overdueSlack), and so is the echo of a second check of the active pair sent
// then, and the active path has delivered nothing since the probes left. The echoes leave the
// peer back to back, so a delivery gap or a loss burst of an access link that both pairs share
// delays or loses them alike, and nothing switches; a dead path loses only its own.

const (
	// attrPath is the STUN attribute of Parley's own checks (comprehension-optional range,
	// RFC 8489 §14; pion uses 0xC001 for renomination): op (1 byte), id (4 bytes).
	attrPath stun.AttrType = 0xC0A7
	// renominationOff is the automatic-renomination interval given to pion: longer than any
	// call, so pion keeps all pairs checked but never switches by itself.
	renominationOff = 24 * 365 * time.Hour
	// helloEvery is how often each side sends a hello on each standby pair it knows.
	helloEvery = time.Second
	// standbyFresh is how recently the peer must have reached us over a pair for it to count
	// as a live standby (the controlling side checks every pair every iceKeepalive, and both
	// sides probe the active pair and their two best standbys every helloEvery).
	standbyFresh = 2*helloEvery + 500*time.Millisecond
	// pairForget drops a pair not heard from for this long (an ICE restart replaces them all).
	// It is long because the active pair must stay known for probing: the controlling side
	// hears the peer on it during ICE's checks, and afterwards only if the peer sends on it.
	pairForget = 2 * time.Minute
	// probeStandbys is how many standby pairs a round of a suspicion probes.
	probeStandbys = 3
	// maxSwitches bounds the switch log kept for Stats.
	maxSwitches = 64
)

// pathOp is the operation of one of Parley's own connectivity checks.
type pathOp byte

const (
	opProbe    pathOp = 2 // reply with an echo on the same pair
	opEcho     pathOp = 3 // reply to the probe with the same id
	opSwitch   pathOp = 4 // the sender moves to this pair: follow, and confirm
	opSwitched pathOp = 5 // reply to a switch: the receiver moved
)

// overdueSlack is added to one and a half times a pair's round trip to decide that its echo
// is overdue.
const overdueSlack = 15 * time.Millisecond

// PathSwitch is one change of the path a call sends on that did not need an ICE restart.
type PathSwitch struct {
	At       time.Time
	From, To Path
	// Cause says what the switch was based on, e.g. "active path silent 120 ms while the peer
	// talks; standby answered in 4 ms" or "the peer switched".
	Cause string
}

// String renders the switch for logs and the CLI.
func (s PathSwitch) String() string {
	return fmt.Sprintf("%s → %s (%s)", s.From, s.To, s.Cause)
}

// pairEntry is one candidate pair the peer reached us on.
type pairEntry struct {
	p     *ice.CandidatePair
	path  Path
	heard time.Time     // the peer's last connectivity check on it
	rtt   time.Duration // round trip of our probes on it, near its floor (0: none answered yet)
}

// pathMsg is one of our checks waiting to be written.
type pathMsg struct {
	p  *ice.CandidatePair
	op pathOp
	id uint32
}

// paths is a call's view of its candidate pairs: the table the binding-request handler fills,
// the probes in flight and the switches made. Its methods are safe for concurrent use; the
// handler runs on pion's agent goroutine and never blocks (it hands writes to the writer).
type paths struct {
	// Immutable after newPaths.
	log  *slog.Logger
	now  func() time.Time
	out  chan pathMsg     // to writeLoop; full: the message is dropped
	last func() time.Time // when anything last arrived from the peer on the active path

	mu       sync.Mutex // guards the following
	pairs    []*pairEntry
	active   Path // the selected pair as pion reports it
	nextID   uint32
	probes   []probe // probes in flight (the current suspicion's, and the periodic ones)
	suspect  time.Time
	round    uint32 // the current suspicion round
	pending  *probe // a standby's echo waiting for the active pair's echo to become overdue
	switches []PathSwitch
	movingTo *ice.CandidatePair // the pair a switch of ours moves to (until the peer confirms)
	count    uint64
	switched time.Time // the last switch
}

// probe is one probe in flight.
type probe struct {
	id       uint32
	at       time.Time
	pair     *ice.CandidatePair
	round    uint32 // the suspicion round (0: a periodic probe)
	active   bool   // sent on the active pair
	confirm  bool   // the second check of the active pair in its round
	answered bool
}

func newPaths(log *slog.Logger, now func() time.Time, last func() time.Time) *paths {
	return &paths{log: log, now: now, last: last, out: make(chan pathMsg, 16)}
}

// pairKey identifies a pair across pion's two types for it (ice.CandidatePair in the handler,
// webrtc.ICECandidatePair in the selected-pair callback).
func sameEnds(p Path, q Path) bool {
	return p.LocalAddr == q.LocalAddr && p.RemoteAddr == q.RemoteAddr && p.Protocol == q.Protocol
}

// iceCandidatePath describes an ice.CandidatePair like pathOf does a webrtc one.
func icePath(p *ice.CandidatePair) Path {
	if p == nil || p.Local == nil || p.Remote == nil {
		return Path{}
	}
	return Path{
		Local: p.Local.Type().String(), Remote: p.Remote.Type().String(),
		Protocol:   p.Local.NetworkType().NetworkShort(),
		LocalAddr:  fmt.Sprintf("%s:%d", p.Local.Address(), p.Local.Port()),
		RemoteAddr: fmt.Sprintf("%s:%d", p.Remote.Address(), p.Remote.Port()),
	}
}

// entryLocked returns the table's entry for p, adding it.
func (ps *paths) entryLocked(p *ice.CandidatePair) *pairEntry {
	for _, e := range ps.pairs {
		if e.p == p {
			return e
		}
	}
	e := &pairEntry{p: p, path: icePath(p)}
	ps.pairs = append(ps.pairs, e)
	return e
}

// onBindingRequest is pion's binding-request handler: it runs on the ICE agent's goroutine for
// every connectivity check that arrives, after pion answered it. It records the pair as heard
// and acts on Parley's own checks; true makes pion select the pair (switch to it).
func (ps *paths) onBindingRequest(m *stun.Message, _, _ ice.Candidate, pair *ice.CandidatePair) bool {
	if pair == nil {
		return false
	}
	now := ps.now()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	e := ps.entryLocked(pair)
	e.heard = now
	v, err := m.Get(attrPath)
	if err != nil || len(v) != 5 {
		return false
	}
	op, id := pathOp(v[0]), binary.BigEndian.Uint32(v[1:])
	switch op {
	case opProbe:
		ps.queueLocked(pair, opEcho, id)
	case opEcho:
		return ps.onEchoLocked(id, now)
	case opSwitch:
		ps.queueLocked(pair, opSwitched, id)
		if sameEnds(e.path, ps.active) {
			return false
		}
		ps.recordLocked(now, e.path, "the peer switched to it")
		return true
	case opSwitched:
		return ps.movingTo == pair && !sameEnds(e.path, ps.active)
	}
	return false
}

// onEchoLocked takes an echo: it updates the pair's round trip and, during a suspicion,
// switches to a standby whose echo came back while the active pair's is overdue.
//
// The echo is matched to its probe by id alone, and credited to the pair the probe left on:
// it may come back on another pair object when two local candidates share an address (a
// server-reflexive candidate behind no NAT is its host candidate's address).
func (ps *paths) onEchoLocked(id uint32, now time.Time) bool {
	i := slices.IndexFunc(ps.probes, func(pr probe) bool { return pr.id == id })
	if i < 0 {
		return false
	}
	pr := &ps.probes[i]
	e := ps.findLocked(pr.pair)
	if pr.answered || e == nil {
		return false
	}
	pr.answered = true
	// The pair's round trip tracks its floor: at once down, slowly up. A check answered
	// late (a queue, a stalled process) says less of the path than one answered early.
	if rtt := now.Sub(pr.at); e.rtt == 0 || rtt < e.rtt {
		e.rtt = rtt
	} else {
		e.rtt += (rtt - e.rtt) / 16
	}
	if pr.round == 0 || ps.suspect.IsZero() {
		return false
	}
	if pr.active {
		if ps.pending != nil && ps.pending.round <= pr.round {
			ps.pending = nil // the active pair answered: alive
		}
		return false
	}
	if ps.pending != nil {
		return false // a standby answered already; its round decides
	}
	cp := *pr
	ps.pending = &cp
	ps.log.Debug("path check: a standby answered", "round", pr.round, "path", e.path)
	return ps.decideLocked(now, true)
}

// decideLocked switches to the pending standby once the active pair's check of the same
// round and a second one sent when the first became overdue are both overdue, and the active
// path has still delivered nothing since the probes left. (One lost check is a loss burst's
// doing as often as a dead path's; two in a row, while the standby answers, are not.) In the
// handler (inHandler) the switch is immediate: true selects the pair the echo came on;
// otherwise the peer is told to switch and this side moves when it confirms.
func (ps *paths) decideLocked(now time.Time, inHandler bool) bool {
	pr := ps.pending
	if pr == nil {
		return false
	}
	var act, conf *probe
	for i := range ps.probes {
		if q := &ps.probes[i]; q.round == pr.round && q.active {
			if q.confirm {
				conf = q
			} else {
				act = q
			}
		}
	}
	if act == nil {
		// The active pair could not be probed (this side never learnt it: the peer sends on
		// another pair): only a silence of lostAfter is evidence enough.
		if now.Sub(ps.last()) < lostAfter {
			return false
		}
	} else {
		if act.answered || conf != nil && conf.answered {
			ps.log.Debug("path check: the active pair answered", "round", pr.round)
			ps.pending = nil
			return false
		}
		// The active pair's round trip: ours, or pion's from its consent checks.
		rtt := time.Duration(act.pair.CurrentRoundTripTime() * float64(time.Second))
		if e := ps.findLocked(act.pair); e != nil && e.rtt > 0 {
			rtt = e.rtt
		}
		wait := 50 * time.Millisecond // no round trip known
		if rtt > 0 {
			wait = rtt * 3 / 2
		}
		wait += overdueSlack
		if d := wait - now.Sub(act.at); d > 0 {
			// Not overdue yet: ask again when it is (the watchdog's tick asks too).
			if inHandler {
				time.AfterFunc(d, ps.decide)
			}
			return false
		}
		if conf == nil {
			ps.log.Debug("path check: the active pair's check is overdue; checking again", "round", pr.round, "wait", wait)
			if e := ps.findLocked(act.pair); e != nil {
				ps.probeLocked(e, now, true)
				ps.probes[len(ps.probes)-1].round, ps.probes[len(ps.probes)-1].confirm = pr.round, true
				time.AfterFunc(wait, ps.decide)
				return false
			}
		} else if now.Sub(conf.at) < wait {
			return false
		}
	}
	last := ps.last()
	e := ps.findLocked(pr.pair)
	if e == nil || last.After(pr.at) || sameEnds(e.path, ps.active) {
		ps.log.Debug("path check: no switch", "delivered", last.After(pr.at), "known", e != nil)
		ps.pending = nil
		return false // the active path delivered after all: a gap, not a failure
	}
	cause := fmt.Sprintf("active path silent %v, two checks of it unanswered; standby answered in %v",
		now.Sub(last).Round(time.Millisecond), e.rtt.Round(time.Millisecond))
	if act == nil {
		cause = fmt.Sprintf("active path silent %v; standby answered in %v",
			now.Sub(last).Round(time.Millisecond), e.rtt.Round(time.Millisecond))
	}
	ps.recordLocked(now, e.path, cause)
	ps.suspect, ps.pending = time.Time{}, nil
	ps.movingTo = e.p
	ps.queueLocked(e.p, opSwitch, pr.id)
	return inHandler
}

// decide is decideLocked for the watchdog's tick.
func (ps *paths) decide() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.decideLocked(ps.now(), false)
}

// findLocked returns the entry of p, or nil.
func (ps *paths) findLocked(p *ice.CandidatePair) *pairEntry {
	for _, e := range ps.pairs {
		if e.p == p {
			return e
		}
	}
	return nil
}

// recordLocked logs a switch to path to.
func (ps *paths) recordLocked(now time.Time, to Path, cause string) {
	sw := PathSwitch{At: now, From: ps.active, To: to, Cause: cause}
	ps.log.Info("path switch", "from", sw.From, "to", sw.To, "cause", cause)
	if len(ps.switches) == maxSwitches {
		copy(ps.switches, ps.switches[1:])
		ps.switches = ps.switches[:maxSwitches-1]
	}
	ps.switches = append(ps.switches, sw)
	ps.count++
	ps.switched = now
	// ps.active changes when pion reports the new pair (selected): it is pion's truth, what
	// the probes of the active pair must go to.
}

// queueLocked hands a check to the writer, or drops it when the writer is behind.
func (ps *paths) queueLocked(p *ice.CandidatePair, op pathOp, id uint32) {
	select {
	case ps.out <- pathMsg{p: p, op: op, id: id}:
	default:
	}
}

// selected records the pair pion now sends on.
func (ps *paths) selected(p Path) {
	ps.mu.Lock()
	ps.active = p
	if ps.movingTo != nil && sameEnds(icePath(ps.movingTo), p) {
		ps.movingTo = nil
	}
	ps.mu.Unlock()
}

// reset forgets every pair: an ICE restart replaces them.
func (ps *paths) reset() {
	ps.mu.Lock()
	ps.pairs, ps.probes, ps.suspect, ps.pending, ps.movingTo = nil, nil, time.Time{}, nil, nil
	ps.mu.Unlock()
}

// standbysLocked returns the live pairs other than the active one, those whose kind (relayed
// or not) differs from the active path's first, then the most recently heard.
func (ps *paths) standbysLocked(now time.Time) []*pairEntry {
	var live []*pairEntry
	kept := ps.pairs[:0]
	for _, e := range ps.pairs {
		if now.Sub(e.heard) > pairForget {
			continue
		}
		kept = append(kept, e)
		if now.Sub(e.heard) <= standbyFresh && !sameEnds(e.path, ps.active) {
			live = append(live, e)
		}
	}
	clear(ps.pairs[len(kept):])
	ps.pairs = kept
	better := func(a, b *pairEntry) bool {
		da, db := a.path.Relayed() != ps.active.Relayed(), b.path.Relayed() != ps.active.Relayed()
		if da != db {
			return da
		}
		return a.heard.After(b.heard)
	}
	for i := 1; i < len(live); i++ {
		for j := i; j > 0 && better(live[j], live[j-1]); j-- {
			live[j], live[j-1] = live[j-1], live[j]
		}
	}
	return live
}

// standby returns the best live standby pair and how long ago the peer last reached us on it;
// ok is false when there is none.
func (ps *paths) standby() (Path, time.Duration, bool) {
	now := ps.now()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	s := ps.standbysLocked(now)
	if len(s) == 0 {
		return Path{}, 0, false
	}
	return s[0].path, now.Sub(s[0].heard), true
}

// probeRound starts or continues a suspicion: a new round of probes, on the active pair and
// on each of the (at most probeStandbys) best live standby pairs. It reports whether there was a
// standby to probe.
func (ps *paths) probeRound() bool {
	now := ps.now()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.suspect.IsZero() {
		ps.suspect = now
	}
	ps.round++
	ps.log.Debug("path check round", "round", ps.round, "active", ps.active)
	for _, e := range ps.pairs {
		if sameEnds(e.path, ps.active) {
			ps.probeLocked(e, now, true)
			break
		}
	}
	s := ps.standbysLocked(now)
	for i, e := range s {
		if i == probeStandbys {
			break
		}
		ps.probeLocked(e, now, false)
	}
	return len(s) > 0
}

// probeLocked sends a probe on e's pair (round ps.round, or 0 outside a suspicion).
func (ps *paths) probeLocked(e *pairEntry, now time.Time, active bool) {
	ps.nextID++
	round := ps.round
	if ps.suspect.IsZero() {
		round = 0
	}
	ps.probes = append(ps.probes, probe{id: ps.nextID, at: now, pair: e.p, round: round, active: active})
	if len(ps.probes) > 64 {
		ps.probes = append(ps.probes[:0], ps.probes[len(ps.probes)-48:]...)
	}
	ps.queueLocked(e.p, opProbe, ps.nextID)
}

// clearSuspicion ends a suspicion: the active path delivers again, or the call restarts ICE.
func (ps *paths) clearSuspicion() {
	ps.mu.Lock()
	ps.suspect, ps.pending = time.Time{}, nil
	ps.mu.Unlock()
}

// lastSwitch returns when the path last switched (zero: never).
func (ps *paths) lastSwitch() time.Time {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.switched
}

// hello probes the active pair and the two best standbys (their round trips; it also keeps
// them fresh in the peer's table).
func (ps *paths) hello() {
	now := ps.now()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for _, e := range ps.pairs {
		if sameEnds(e.path, ps.active) {
			ps.probeLocked(e, now, true)
			break
		}
	}
	for i, e := range ps.standbysLocked(now) {
		if i == 2 {
			break
		}
		ps.probeLocked(e, now, false)
	}
}

// log returns the switches so far (the last maxSwitches) and their total count.
func (ps *paths) history() ([]PathSwitch, uint64) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]PathSwitch(nil), ps.switches...), ps.count
}

// pathLoop writes the checks the handler and the watchdog queue, and says hello on the standby
// pairs every helloEvery, until the call ends. Writes happen here, not on pion's agent
// goroutine: a write over a relay may wait on the TURN client.
func (c *Call) pathLoop() {
	t := time.NewTicker(helloEvery)
	defer t.Stop()
	for {
		select {
		case <-c.ended:
			return
		case <-t.C:
			c.paths.hello()
		case m := <-c.paths.out:
			if err := c.writeCheck(m); err != nil && !c.hasEnded() {
				c.log.Debug("path check not sent", "op", m.op, "err", err)
			}
		}
	}
}

// writeCheck writes one of Parley's connectivity checks on its pair: a STUN Binding request
// authenticated as ICE's own (RFC 8445 §7.2.2: USERNAME "remote:local", MESSAGE-INTEGRITY
// with the remote password), so the peer's agent accepts it and hands it to its handler.
func (c *Call) writeCheck(m pathMsg) error {
	c.mu.Lock()
	pc := c.pc
	c.mu.Unlock()
	if pc == nil {
		return nil
	}
	it := pc.SCTP().Transport().ICETransport()
	if it.State() == webrtc.ICETransportStateNew {
		return nil
	}
	local, err := it.GetLocalParameters()
	if err != nil {
		return err
	}
	remote, err := it.GetRemoteParameters()
	if err != nil {
		return err
	}
	var v [5]byte
	v[0] = byte(m.op)
	binary.BigEndian.PutUint32(v[1:], m.id)
	msg, err := stun.Build(stun.BindingRequest, stun.TransactionID,
		stun.NewUsername(remote.UsernameFragment+":"+local.UsernameFragment),
		stun.RawAttribute{Type: attrPath, Value: v[:]},
		stun.NewShortTermIntegrity(remote.Password), stun.Fingerprint)
	if err != nil {
		return err
	}
	_, err = m.p.Write(msg.Raw)
	return err
}
