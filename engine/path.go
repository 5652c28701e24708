package engine

import (
	"encoding/binary"
	"fmt"
	"log/slog"
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
//     hello (every helloEvery on each known standby pair: teaches the controlling side the
//     pair and shows it alive), probe → echo (does this pair carry the peer to us right now?),
//     and switch (the sender moved to this pair; the receiver follows).
//
// The watchdog (failover.go) probes the standby pairs while the active path is silent beyond
// an adaptive threshold; an echo that comes back over a standby while the active path has
// still delivered nothing since the probe left is the evidence to switch: the side that saw
// it switches at once and tells the peer, who follows. A delivery gap of the access link
// silences every pair alike, so no echo wins and nothing switches.

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
	// as a live standby (the controlling side checks every pair every iceKeepalive, the
	// controlled side says hello every helloEvery).
	standbyFresh = helloEvery + 500*time.Millisecond
	// pairForget drops a pair not heard from for this long (an ICE restart replaces them all).
	pairForget = 5 * time.Second
	// maxSwitches bounds the switch log kept for Stats.
	maxSwitches = 64
)

// pathOp is the operation of one of Parley's own connectivity checks.
type pathOp byte

const (
	opHello  pathOp = 1 // the pair is alive this way
	opProbe  pathOp = 2 // reply with an echo on the same pair
	opEcho   pathOp = 3 // reply to the probe with the same id
	opSwitch pathOp = 4 // the sender switched to this pair: follow
)

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
	heard time.Time // the peer's last connectivity check on it
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
	probes   []probe // the current suspicion's probes
	suspect  time.Time
	switches []PathSwitch
	count    uint64
	switched time.Time // the last switch
}

// probe is one probe sent during a suspicion.
type probe struct {
	id   uint32
	at   time.Time
	pair *ice.CandidatePair
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
		return ps.onEchoLocked(e, id, now)
	case opSwitch:
		if sameEnds(e.path, ps.active) {
			return false
		}
		ps.recordLocked(now, e.path, "the peer switched to it")
		return true
	}
	return false
}

// onEchoLocked switches to the echo's pair if the echo answers a probe of the current
// suspicion and the active path has delivered nothing since that probe left.
func (ps *paths) onEchoLocked(e *pairEntry, id uint32, now time.Time) bool {
	if ps.suspect.IsZero() {
		return false
	}
	for _, pr := range ps.probes {
		if pr.id != id || pr.pair != e.p {
			continue
		}
		last := ps.last()
		if last.After(pr.at) || sameEnds(e.path, ps.active) {
			return false // the active path delivered after all: a gap, not a failure
		}
		cause := fmt.Sprintf("active path silent %v; standby answered in %v",
			now.Sub(last).Round(time.Millisecond), now.Sub(pr.at).Round(time.Millisecond))
		ps.recordLocked(now, e.path, cause)
		ps.suspect, ps.probes = time.Time{}, nil
		ps.queueLocked(e.p, opSwitch, id)
		return true
	}
	return false
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
	ps.active = to
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
	ps.mu.Unlock()
}

// reset forgets every pair: an ICE restart replaces them.
func (ps *paths) reset() {
	ps.mu.Lock()
	ps.pairs, ps.probes, ps.suspect = nil, nil, time.Time{}
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

// probeStandbys starts or continues a suspicion: it sends a probe on each of the (at most
// two) best live standby pairs. It reports whether there was any.
func (ps *paths) probeStandbys() bool {
	now := ps.now()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.suspect.IsZero() {
		ps.suspect = now
	}
	s := ps.standbysLocked(now)
	for i, e := range s {
		if i == 2 {
			break
		}
		ps.nextID++
		ps.probes = append(ps.probes, probe{id: ps.nextID, at: now, pair: e.p})
		ps.queueLocked(e.p, opProbe, ps.nextID)
	}
	if len(ps.probes) > 32 {
		ps.probes = append(ps.probes[:0], ps.probes[len(ps.probes)-32:]...)
	}
	return len(s) > 0
}

// clearSuspicion ends a suspicion: the active path delivers again, or the call restarts ICE.
func (ps *paths) clearSuspicion() {
	ps.mu.Lock()
	ps.suspect, ps.probes = time.Time{}, nil
	ps.mu.Unlock()
}

// lastSwitch returns when the path last switched (zero: never).
func (ps *paths) lastSwitch() time.Time {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.switched
}

// hello queues a hello on every live pair other than the active one.
func (ps *paths) hello() {
	now := ps.now()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for _, e := range ps.standbysLocked(now) {
		ps.queueLocked(e.p, opHello, 0)
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
		case <-c.ctx.Done():
			return
		case <-t.C:
			c.paths.hello()
		case m := <-c.paths.out:
			if err := c.writeCheck(m); err != nil && c.ctx.Err() == nil {
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
