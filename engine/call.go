package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/engine/audio/apm"
)

// eventBuffer is the capacity of Call.Events.
const eventBuffer = 64

// Call is one end-to-end encrypted 1:1 voice call, made by Dial (caller) or Answer (callee).
// Its methods are safe for concurrent use. A call runs until it ends — Hangup, the peer hanging
// up, a failed setup or a lost peer — and then releases everything it started: after Hangup
// returns, or after Done is closed, no goroutine of the call is left.
type Call struct {
	// Immutable after start.
	s      *settings
	sig    Signal
	caller bool
	log    *slog.Logger
	events chan Event
	ended  chan struct{} // closed when the call ends (end), before teardown
	done   chan struct{} // closed when teardown is complete
	muted  atomic.Bool
	// hangingUp is set when Hangup starts: a hang-up of the peer seen after it is ours.
	hangingUp atomic.Bool
	// restarts counts ICE restarts (caller side).
	restarts atomic.Uint64
	fo       failover // path loss, ICE restarts and recovery (failover.go)
	paths    *paths   // candidate pairs, standby and switches (path.go)
	send     *sender
	recv     *receiver
	start    time.Time
	// proc is the microphone processing (nil when off); closed by teardown after the loops.
	proc *apm.Processor

	wg     sync.WaitGroup // every goroutine of the call; Add only through spawnLocked
	sealMu sync.Mutex     // serialises Signal.Send, and orders Seal with it so envelopes leave in sequence

	// mu guards the following.
	mu            sync.Mutex
	state         State
	reason        Reason
	err           error
	sess          *e2ee.Session
	pc            *webrtc.PeerConnection
	path          Path
	trust         e2ee.TrustStatus
	verified      bool
	descSent      bool     // our offer/answer went out; candidates may follow
	pending       [][]byte // candidates gathered before that
	localCands    []string
	remoteCands   []string
	candsThisDesc int // remote candidates since the last remote description
	connectedAt   time.Time
	lastRTT       time.Duration
	sending       bool // send loop started
	playing       bool // playout loop started
}

// Dial places a call over sig: it sends the invite (the e2ee Commit) and returns at once; the
// call then rings, agrees keys, connects ICE and starts media in the background, reporting
// each step on Events. ctx bounds only Dial itself, not the call; use Hangup to end it.
func Dial(ctx context.Context, cfg Config, sig Signal) (*Call, error) {
	return start(ctx, cfg, sig, nil)
}

// Answer accepts an incoming call over sig. invite is the Data of the KindInvite message the
// application received (and showed as ringing); Answer checks it, replies with the e2ee
// Response and returns at once, the rest proceeding as for Dial. With Config.PeerIdentity set,
// an invite from any other identity is refused at once (ErrProtocol).
func Answer(ctx context.Context, cfg Config, sig Signal, invite []byte) (*Call, error) {
	var commit e2ee.Commit
	if err := commit.UnmarshalBinary(invite); err != nil {
		return nil, fmt.Errorf("%w: invite: %w", ErrProtocol, err)
	}
	if commit.CallID != sig.CallID() {
		return nil, fmt.Errorf("%w: invite for call %s on signal of call %s", ErrProtocol, commit.CallID, sig.CallID())
	}
	if !cfg.PeerIdentity.IsZero() && !cfg.PeerIdentity.Equal(commit.Caller) {
		return nil, fmt.Errorf("%w: invite from identity %s, want %s", ErrProtocol, commit.Caller.Fingerprint(), cfg.PeerIdentity.Fingerprint())
	}
	return start(ctx, cfg, sig, &commit)
}

func start(ctx context.Context, cfg Config, sig Signal, commit *e2ee.Commit) (*Call, error) {
	if sig == nil {
		return nil, fmt.Errorf("%w: nil Signal", ErrConfig)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	role := "callee"
	if commit == nil {
		role = "caller"
	}
	c := &Call{
		s: s, sig: sig, caller: commit == nil,
		log:    s.Logger.With("call", sig.CallID().String()[:8], "role", role),
		events: make(chan Event, eventBuffer),
		done:   make(chan struct{}),
		ended:  make(chan struct{}),
		start:  s.Now(),
		fo:     failover{kick: make(chan string, 1)},
	}
	if c.proc, err = processing(s); err != nil {
		return nil, err
	}
	if c.send, err = newSender(s, &c.muted); err != nil {
		c.closeProcessing()
		return nil, err
	}
	if c.recv, err = newReceiver(s); err != nil {
		c.closeProcessing()
		return nil, err
	}
	c.paths = newPaths(c.log, s.Now, c.recv.lastArrival)
	timeout := time.AfterFunc(s.SetupTimeout, func() {
		if c.State() < StateConnected {
			c.end(ReasonTimeout, nil)
		}
	})
	c.mu.Lock()
	c.spawnLocked(func() { c.run(commit) })
	c.spawnLocked(c.watchdog)
	c.spawnLocked(c.pathLoop)
	c.mu.Unlock()
	go c.teardown(timeout)
	if s.HangupAfterSourceEnds > 0 {
		go c.hangupAfterSource()
	}
	return c, nil
}

// spawnLocked starts f as one of the call's goroutines, unless the call has ended. c.mu held.
func (c *Call) spawnLocked(f func()) {
	if c.state == StateEnded {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
}

// spawn is spawnLocked taking the lock.
func (c *Call) spawn(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.spawnLocked(f)
}

// Events delivers the call's state changes in order, ending with exactly one StateEnded
// event, after which the channel is closed. It is buffered (64 events); if the application
// does not keep up, intermediate events are dropped, never the final one. State and Reason
// give the current state whatever was missed.
func (c *Call) Events() <-chan Event { return c.events }

// Done is closed when the call has ended and released all its resources.
func (c *Call) Done() <-chan struct{} { return c.done }

// State returns the call's current state.
func (c *Call) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Reason returns why the call ended and the error behind it, if any; "" before it ended.
func (c *Call) Reason() (Reason, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason, c.err
}

// SAS returns the short authentication string both users compare (4 emoji and the same value
// as words; see e2ee.SAS). It is available from StateConnecting on, on both sides equal unless
// someone is in the middle; before that it returns ErrNotKeyed.
func (c *Call) SAS() (e2ee.SAS, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return e2ee.SAS{}, ErrNotKeyed
	}
	return c.sess.SAS(), nil
}

// PeerIdentity returns the identity key the peer proved it holds, once keyed.
func (c *Call) PeerIdentity() (e2ee.PublicIdentity, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return e2ee.PublicIdentity{}, ErrNotKeyed
	}
	return c.sess.Peer(), nil
}

// Verify records that the users compared the SAS and it matched: the call is marked verified
// and, with Config.Store, the peer's key is pinned as verified under Config.PeerName.
func (c *Call) Verify() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return ErrNotKeyed
	}
	if c.s.Store != nil && c.s.PeerName != "" {
		if err := c.s.Store.MarkVerified(c.s.PeerName, c.sess.Peer()); err != nil {
			return fmt.Errorf("engine: verify: %w", err)
		}
		c.trust = e2ee.StatusVerified
	}
	c.verified = true
	return nil
}

// Mute stops (true) or resumes (false) sending the microphone: while muted the encoder gets
// silence, which DTX turns into (almost) no packets.
func (c *Call) Mute(muted bool) { c.muted.Store(muted) }

// Muted reports whether the call is muted.
func (c *Call) Muted() bool { return c.muted.Load() }

// Hangup ends the call: the peer is told (sealed, and through the signaling service), the
// media stack is closed, and Hangup returns when every goroutine of the call has exited or ctx
// ends. Hanging up an ended call returns nil.
func (c *Call) Hangup(ctx context.Context) error {
	if c.State() != StateEnded {
		// The peer may end its side (and close DTLS) as soon as our hang-up reaches it,
		// before end below runs: that is still our hang-up, not the peer's.
		c.hangingUp.Store(true)
		sctx, cancel := context.WithTimeout(ctx, time.Second)
		c.mu.Lock()
		keyed := c.sess != nil
		c.mu.Unlock()
		if keyed {
			_ = c.sendSealed(sctx, envHangup, []byte(ReasonRemoteHangup))
		}
		_ = c.sendMsg(sctx, Message{Kind: KindHangup, Reason: string(ReasonHangup)})
		cancel()
		c.end(ReasonHangup, nil)
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// end moves the call to StateEnded (once) and starts teardown.
func (c *Call) end(r Reason, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == StateEnded {
		return
	}
	if r == ReasonRemoteHangup && c.hangingUp.Load() {
		r = ReasonHangup
	}
	c.state, c.reason, c.err = StateEnded, r, err
	if err != nil {
		c.log.Info("call ended", "reason", r, "err", err)
	} else {
		c.log.Info("call ended", "reason", r)
	}
	close(c.ended)
}

// fail ends the call with ReasonError.
func (c *Call) fail(err error) { c.end(ReasonError, err) }

// setStateLocked changes the state (never out of StateEnded) and emits the event. c.mu held.
func (c *Call) setStateLocked(s State, relayed bool) {
	if c.state == StateEnded || c.state == s && !relayed {
		return
	}
	c.state = s
	c.log.Debug("state", "state", s, "path", c.path)
	c.emitLocked(Event{At: c.s.Now(), State: s, Path: c.path, Relayed: relayed || s == StateConnected && c.path.Relayed()})
}

// emitLocked delivers ev on Events, or drops it if the application does not keep up. c.mu held.
func (c *Call) emitLocked(ev Event) {
	select {
	case c.events <- ev:
	default:
		c.log.Warn("event dropped: Events not read", "state", ev.State)
	}
}

func (c *Call) setState(s State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setStateLocked(s, false)
}

// closeProcessing frees the audio processor, if any. Its methods are safe after Close.
func (c *Call) closeProcessing() {
	if c.proc != nil {
		_ = c.proc.Close()
	}
}

// teardown waits for the end, closes the media stack, waits for every goroutine and emits the
// final event.
func (c *Call) teardown(timeout *time.Timer) {
	<-c.ended
	timeout.Stop()
	c.mu.Lock()
	pc := c.pc
	c.mu.Unlock()
	if pc != nil {
		if err := pc.Close(); err != nil {
			c.log.Debug("peer connection close", "err", err)
		}
	}
	c.wg.Wait()
	c.closeProcessing()
	c.mu.Lock()
	if c.sess != nil {
		_ = c.sess.Close()
	}
	ev := Event{At: c.s.Now(), State: StateEnded, Reason: c.reason, Err: c.err, Path: c.path}
	select {
	case c.events <- ev:
	default:
		select { // full: make room by dropping the oldest undelivered event
		case <-c.events:
		default:
		}
		c.events <- ev
	}
	close(c.events)
	c.mu.Unlock()
	close(c.done)
}

// hasEnded reports whether the call has ended (its ended channel is closed).
func (c *Call) hasEnded() bool {
	select {
	case <-c.ended:
		return true
	default:
		return false
	}
}

// life is a context that is done when the call ends, for the calls that take one (Signal,
// sealed sends): the call keeps a channel, not a context.
func (c *Call) life() context.Context { return callLife{c} }

// callLife is the context of Call.life: Done is the call's ended channel.
type callLife struct{ c *Call }

func (l callLife) Deadline() (time.Time, bool) { return time.Time{}, false }
func (l callLife) Done() <-chan struct{}       { return l.c.ended }
func (l callLife) Value(any) any               { return nil }
func (l callLife) Err() error {
	if l.c.hasEnded() {
		return context.Canceled
	}
	return nil
}
