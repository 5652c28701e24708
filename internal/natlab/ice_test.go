package natlab

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
)

// Timing of the ICE agents in the grid. Relay pairs may be nominated only
// after relayWait, which bounds how long a direct pair has to become valid;
// it must exceed the time hole punching takes on a loaded 2-core machine
// under -race (vnet delivers in microseconds, but goroutines wait for CPU).
// A pair is declared failed after maxChecks unanswered checks, every
// checkInterval: pion's default (7 checks) at a short interval fails pairs
// while the peer's candidates are still trickling in or its NAT has not yet
// opened, so it is raised to outlast relayWait.
const (
	checkInterval = 200 * time.Millisecond
	maxChecks     = 40
	srflxWait     = 100 * time.Millisecond
	prflxWait     = 200 * time.Millisecond
	relayWait     = 8 * time.Second
	cellTimeout   = 40 * time.Second
)

// path classifies a selected pair.
type path int

const (
	direct path = iota // neither candidate is a relay
	relay              // traffic goes through the TURN server
)

func (p path) String() string {
	if p == relay {
		return "relay"
	}
	return "direct"
}

// outcome is what one side of a connected cell saw.
type outcome struct {
	local, remote ice.Candidate
}

func (o outcome) path() path {
	if o.local.Type() == ice.CandidateTypeRelay || o.remote.Type() == ice.CandidateTypeRelay {
		return relay
	}
	return direct
}

// relayProto returns the relay protocol of the local candidate ("udp",
// "tcp"), or "" if it is not a relay.
func (o outcome) relayProto() string {
	if r, ok := o.local.(*ice.CandidateRelay); ok {
		return r.RelayProtocol()
	}
	return ""
}

func (o outcome) String() string {
	s := fmt.Sprintf("%s→%s", o.local.Type(), o.remote.Type())
	if p := o.relayProto(); p != "" {
		s += "(" + p + ")"
	}
	return s
}

// newAgent returns an ICE agent on p's network with all of the lab's
// servers and the grid's timing.
func newAgent(p *Peer) (*ice.Agent, error) {
	urls, err := p.URLs()
	if err != nil {
		return nil, err
	}
	ci, sw, pw, rw, zero := checkInterval, srflxWait, prflxWait, relayWait, time.Duration(0)
	mc := uint16(maxChecks)
	a, err := ice.NewAgent(&ice.AgentConfig{
		Urls:                   urls,
		NetworkTypes:           []ice.NetworkType{ice.NetworkTypeUDP4, ice.NetworkTypeTCP4},
		CandidateTypes:         []ice.CandidateType{ice.CandidateTypeHost, ice.CandidateTypeServerReflexive, ice.CandidateTypeRelay},
		MulticastDNSMode:       ice.MulticastDNSModeDisabled,
		DisableActiveTCP:       true,
		Net:                    p.Net(),
		CheckInterval:          &ci,
		MaxBindingRequests:     &mc,
		HostAcceptanceMinWait:  &zero,
		SrflxAcceptanceMinWait: &sw,
		PrflxAcceptanceMinWait: &pw,
		RelayAcceptanceMinWait: &rw,
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// trickle forwards each candidate from gathers to to as it is found,
// marshalled as it would travel through signaling, and records it in log.
// Forwarding errors after the cell is over (agents closing) are ignored.
func trickle(from, to *ice.Agent, log *candLog) error {
	return from.OnCandidate(func(c ice.Candidate) {
		if c == nil {
			return
		}
		s := c.Marshal()
		log.add(s)
		rc, err := ice.UnmarshalCandidate(s)
		if err != nil {
			log.fail(err)
			return
		}
		_ = to.AddRemoteCandidate(rc) // fails only once to is closed
	})
}

// candLog collects a side's candidates for failure messages.
type candLog struct {
	start time.Time // set before gathering; immutable after
	mu    sync.Mutex
	cands []string // each with its arrival time since start
	err   error
}

func (l *candLog) add(s string) {
	l.mu.Lock()
	l.cands = append(l.cands, fmt.Sprintf("%s @%v", s, time.Since(l.start).Round(time.Millisecond)))
	l.mu.Unlock()
}

func (l *candLog) fail(err error) {
	l.mu.Lock()
	if l.err == nil {
		l.err = err
	}
	l.mu.Unlock()
}

func (l *candLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.cands, "; ")
}

// cell is the outcome of connecting two peers.
type cell struct {
	a, b       NAT
	outA, outB outcome
	candsA     string
	candsB     string
	connected  time.Duration // from Dial/Accept to both connected
	elapsed    time.Duration // whole cell, including setup and close
}

// connect builds a two-peer lab (a controlling, b controlled), connects two
// trickling ICE agents over it and returns both sides' selected pairs.
// Everything it started is closed before it returns. Safe to call from any
// goroutine.
func connect(a, b NAT) (c cell, err error) {
	c.a, c.b = a, b
	start := time.Now()
	defer func() { c.elapsed = time.Since(start) }()
	lab, err := New(Config{Peers: []PeerConfig{{Name: "a", NAT: a}, {Name: "b", NAT: b}}})
	if err != nil {
		return c, err
	}
	defer func() { err = errors.Join(err, lab.Close()) }()
	agentA, err := newAgent(lab.peers[0])
	if err != nil {
		return c, err
	}
	defer func() { err = errors.Join(err, agentA.GracefulClose()) }()
	agentB, err := newAgent(lab.peers[1])
	if err != nil {
		return c, err
	}
	defer func() { err = errors.Join(err, agentB.GracefulClose()) }()

	logA, logB := candLog{start: time.Now()}, candLog{start: time.Now()}
	defer func() { c.candsA, c.candsB = logA.String(), logB.String() }()
	if err := errors.Join(trickle(agentA, agentB, &logA), trickle(agentB, agentA, &logB)); err != nil {
		return c, err
	}
	ufragA, pwdA, err := agentA.GetLocalUserCredentials()
	if err != nil {
		return c, err
	}
	ufragB, pwdB, err := agentB.GetLocalUserCredentials()
	if err != nil {
		return c, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), cellTimeout)
	defer cancel()
	connStart := time.Now()
	accepted := make(chan error, 1)
	go func() {
		_, err := agentB.Accept(ctx, ufragA, pwdA)
		accepted <- err
	}()
	dialed := make(chan error, 1)
	go func() {
		_, err := agentA.Dial(ctx, ufragB, pwdB)
		dialed <- err
	}()
	if err := errors.Join(agentA.GatherCandidates(), agentB.GatherCandidates()); err != nil {
		return c, err
	}
	errA, errB := <-dialed, <-accepted
	c.connected = time.Since(connStart)
	if err := errors.Join(errA, errB, logA.err, logB.err); err != nil {
		return c, fmt.Errorf("connect %v→%v: %w", a, b, err)
	}
	pa, err := agentA.GetSelectedCandidatePair()
	if err != nil || pa == nil {
		return c, fmt.Errorf("a: no selected pair: %w", err)
	}
	pb, err := agentB.GetSelectedCandidatePair()
	if err != nil || pb == nil {
		return c, fmt.Errorf("b: no selected pair: %w", err)
	}
	c.outA, c.outB = outcome{pa.Local, pa.Remote}, outcome{pb.Local, pb.Remote}
	return c, nil
}

// waitGoroutines waits until the goroutine count is back to at most base,
// failing with a stack dump after timeout. Pion's routers and TURN server
// end their goroutines asynchronously after Close and signal nothing, so
// this polls.
func waitGoroutines(t *testing.T, base int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("goroutine leak: %d > %d\n%s", runtime.NumGoroutine(), base, buf[:n])
		}
		<-tick.C
	}
}
