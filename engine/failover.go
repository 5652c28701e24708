package engine

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Path failover. The watchdog samples what arrives from the peer (RTP, and the receiver
// reports that flow four times a second even while the peer is silent under DTX). It acts in
// three steps, each on more evidence than the last:
//
//  1. Suspicion: nothing arrived for longer than the path's own delivery gaps warrant (an
//     adaptive threshold, suspectAfter, over the gaps of the last ~10 s while the peer
//     talked; lostAfterQuiet while the peer is silent). The watchdog probes the active pair
//     and the warm standby pairs (path.go) every probeEvery; a standby that answers while two
//     checks of the active pair go unanswered, and the active path still delivers nothing,
//     switches both sides to that standby — no ICE restart, no signaling. A delivery gap or
//     loss burst of the access link, which every pair shares, delays or loses the checks of
//     all pairs alike, so it switches nothing.
//  2. Loss: nothing for lostAfter. The call reports "path lost" (StateReconnecting).
//  3. Last resort: nothing for restartAfter (no known pair brought media back: a standby that
//     answers is switched to well before) and no switch within switchGrace. ICE restarts —
//     the caller with a sealed re-offer, the callee by asking the caller to — then again with
//     exponential backoff for as long as nothing arrives and the signaling channel is up: a
//     call is never given up while the peer still answers on signaling.
//
// When packets arrive again the call reports "path restored" (a StateConnected event with
// Event.Outage set). ICE's own failed state is disabled (see newAPI), so the selected pair
// keeps being probed through an outage and carries the call again by itself when the outage
// ends, restart or not.

const (
	// watchdogTick is how often the watchdog samples arrivals.
	watchdogTick = 10 * time.Millisecond
	// suspectMin and suspectMax bound the adaptive silence threshold of a talking peer:
	// suspectMin is 3 frames of 20 ms, suspectMax well under lostAfter.
	suspectMin = 60 * time.Millisecond
	suspectMax = 600 * time.Millisecond
	// probeEvery is the interval of probes while a suspicion lasts, probeEveryLost once the
	// path counts as lost.
	probeEvery     = 60 * time.Millisecond
	probeEveryLost = 250 * time.Millisecond
	// lostAfter is the silence after which the path counts as lost ("reconnecting").
	lostAfter = time.Second
	// lostAfterQuiet is the silence after which a path carrying only receiver reports (the
	// peer is silent: DTX sends no RTP) is suspected: two reports are missing.
	lostAfterQuiet = 2*reportInterval + 150*time.Millisecond
	// restartAfter is the silence after which ICE restarts (but not later than half
	// Config.DisconnectTimeout, nor before lostAfter): Telegram shows "reconnecting" after
	// 2 s; an outage of the access link shorter than this costs no restart.
	restartAfter = 2 * time.Second
	// switchGrace is how long a switch has to bring media back before a restart.
	switchGrace = time.Second
	// talkSlack: the peer counts as talking when RTP arrived within talkSlack of the last
	// packet of any kind.
	talkSlack = 100 * time.Millisecond
	// onTimeTicks is how many consecutive watchdog ticks must come on time before silence
	// counts: a stalled process has not read what arrived meanwhile.
	onTimeTicks = 2
	// restartBackoffMin is the wait after a restart before the next one while the path stays
	// lost; it doubles up to restartBackoffMax, or a third of Config.DisconnectTimeout if that
	// is shorter (restarts are how the two sides hear each other on signaling while the path is
	// lost, so a live peer must be heard well within DisconnectTimeout), but not below
	// restartMinGap.
	restartBackoffMin = time.Second
	restartBackoffMax = 4 * time.Second
	// healthyAfter is how long the path must deliver before the backoff starts again from
	// restartBackoffMin.
	healthyAfter = 3 * time.Second
	// restartMinGap: a restart request from the callee within this long of the last restart is
	// about the same loss, already being handled.
	restartMinGap = 500 * time.Millisecond
	// iceBackGrace is how long media may take to flow once ICE reports a restarted path
	// connected before the call shows "reconnecting" again.
	iceBackGrace = 500 * time.Millisecond
	// setupPathWait is added to Config.DisconnectTimeout to bound how long ICE may look for a
	// first working pair before the call ends with ReasonFailed.
	setupPathWait = 2 * time.Second
)

// iceTimeouts are pion's ICE timers: disconnected after iceDisconnected without any packet
// (informational: the watchdog acts on media silence); never failed (a failed agent drops all
// its candidates and needs a restart, impossible without signaling, where a pair that keeps
// being probed recovers by itself after an outage); a consent check of the selected pair, and
// with renomination on (path.go) of every other pair, every iceKeepalive: once a second, as
// checking every pair costs a few kb/s of a thin uplink per pair and check rate.
const (
	iceDisconnected = time.Second
	iceFailed       = 0
	iceKeepalive    = time.Second
	// iceMaxBindingRequests bounds the checks of one pair before pion marks it failed (at its
	// 200 ms check interval, 6 s): longer than restartBackoffMax, so the pairs of the latest
	// restart are still being checked when an outage ends.
	iceMaxBindingRequests = 30
	// sctpRTOMax caps the SCTP retransmission timeout of the receiver-report channel (pion's
	// default backs off to 60 s, which would leave the reports stalled long after an outage of
	// a few seconds; its minimum is 1 s).
	sctpRTOMax = 2 * time.Second
)

// failover is a call's path-failover state.
type failover struct {
	sigUp atomic.Bool  // the signaling channel is up (the run loop is receiving)
	heard atomic.Int64 // unix ns: the last message from the peer over signaling
	// kick carries restart work from the watchdog and the signaling loop to the restarter
	// goroutine (capacity 1: a pending kick covers any later one).
	kick chan string

	mu        sync.Mutex // guards the following
	offerOut  bool       // caller: a restart offer is out and its answer not applied yet
	restartAt time.Time  // caller: when the last restart began
}

// heardPeer records a message from the peer over signaling.
func (f *failover) heardPeer(now time.Time) { f.heard.Store(now.UnixNano()) }

// kickRestart asks the restarter to restart ICE (caller) or to ask the caller to (callee). It
// never blocks.
func (c *Call) kickRestart(why string) {
	select {
	case c.fo.kick <- why:
	default:
	}
}

// restarter performs the restarts the watchdog and the signaling loop ask for, off their
// goroutines: a restart sends sealed messages, which may wait on the signaling service.
func (c *Call) restarter() {
	for {
		select {
		case <-c.ended:
			return
		case why := <-c.fo.kick:
			if !c.fo.sigUp.Load() {
				continue // no way to reach the peer: ICE keeps probing the current pair
			}
			if c.caller {
				c.maybeRestart(why)
			} else if err := c.sendSealed(c.life(), envRestart, nil); err != nil && !c.hasEnded() {
				c.log.Warn("ICE restart request not sent", "err", err)
			}
		}
	}
}

// maybeRestart restarts ICE unless a restart is under way (its offer not answered yet) or
// began within restartMinGap. Caller only.
func (c *Call) maybeRestart(why string) {
	c.fo.mu.Lock()
	now := c.s.Now()
	if c.fo.offerOut || !c.fo.restartAt.IsZero() && now.Sub(c.fo.restartAt) < restartMinGap {
		c.fo.mu.Unlock()
		c.log.Debug("ICE restart skipped: one is under way", "why", why)
		return
	}
	c.fo.offerOut, c.fo.restartAt = true, now
	c.fo.mu.Unlock()
	c.restarts.Add(1)
	c.paths.reset()
	c.log.Info("restarting ICE", "why", why)
	if err := c.restartICE(); err != nil {
		c.answered()
		if !c.hasEnded() {
			c.log.Warn("ICE restart failed", "err", err)
		}
	}
}

// answered notes that no restart offer of ours is open any more. Caller only.
func (c *Call) answered() {
	c.fo.mu.Lock()
	c.fo.offerOut = false
	c.fo.mu.Unlock()
}

// signalingDown notes that the signaling channel failed: no more restarts are possible, and
// the call now ends after DisconnectTimeout of silence on the media path.
func (c *Call) signalingDown() { c.fo.sigUp.Store(false) }

// pathWatch is the watchdog's own state.
type pathWatch struct {
	rtpBytes  uint64    // the receiver's RTP byte count at the last tick
	rtpAt     time.Time // the tick at which RTP was last seen arriving
	prevLast  time.Time // the last arrival as of the previous tick
	gaps      gapStats  // the delivery gaps seen while talking
	suspected bool      // a suspicion is under way (probing the standbys)
	probeAt   time.Time // the last probe round
	lost      bool
	lostAt    time.Time // the last arrival before the silence
	iceBackAt time.Time // while lost: when ICE reported a restarted path connected
	okSince   time.Time // delivering since
	next      time.Time // earliest next restart while lost
	backoff   time.Duration
	keyedAt   time.Time // when the call was first seen in StateConnecting
	tick      time.Time // the previous tick
	onTime    int       // consecutive ticks that came on time
}

// gapWindow is how many delivery gaps (one per watchdog tick that saw an arrival: about 10 s)
// the adaptive threshold looks at; gapBucket their histogram's resolution.
const (
	gapWindow  = 512
	gapBucket  = 10 * time.Millisecond
	gapBuckets = int(suspectMax/gapBucket) + 1
)

// gapStats is a sliding window of delivery gaps with a histogram for its quantiles. The zero
// value is an empty window.
type gapStats struct {
	ring [gapWindow]uint8 // bucket of each gap in the window
	n    int              // gaps seen (the window holds min(n, gapWindow))
	hist [gapBuckets]int
}

// add puts one gap into the window, dropping the oldest.
func (g *gapStats) add(gap time.Duration) {
	b := min(gapBuckets-1, int(gap/gapBucket))
	i := g.n % gapWindow
	if g.n >= gapWindow {
		g.hist[g.ring[i]]--
	}
	g.ring[i] = uint8(b)
	g.hist[b]++
	g.n++
}

// quantile returns the q-quantile of the window's gaps (bucket upper bound), zero when empty.
func (g *gapStats) quantile(q float64) time.Duration {
	total := min(g.n, gapWindow)
	if total == 0 {
		return 0
	}
	want := int(q * float64(total))
	seen := 0
	for b, c := range g.hist {
		if seen += c; seen > want {
			return time.Duration(b+1) * gapBucket
		}
	}
	return suspectMax
}

// suspectAfter is the silence of a talking peer after which the active path is suspected:
// one and a half times the 97th percentile of the delivery gaps of the last ~10 s (the
// largest few, a loaded machine's stalls among them, do not count), within [suspectMin,
// suspectMax].
func (w *pathWatch) suspectAfter() time.Duration {
	return min(suspectMax, max(suspectMin, w.gaps.quantile(0.97)*3/2))
}

// watchdog follows the path of a call: it detects its suspected failure and switches to a
// standby, detects its loss and recovery, drives the restarts, ends a call whose peer is gone
// (nothing by media or signaling for DisconnectTimeout), and ends a call whose ICE finds no
// first pair (ReasonFailed).
func (c *Call) watchdog() {
	c.spawn(c.restarter)
	t := time.NewTicker(watchdogTick)
	defer t.Stop()
	maxBackoff := max(restartMinGap, min(restartBackoffMax, c.s.DisconnectTimeout/3))
	minBackoff := min(restartBackoffMin, maxBackoff)
	w := pathWatch{backoff: minBackoff}
	// Restarts are also how the two sides hear each other on signaling while the path is
	// lost: the first must come well within DisconnectTimeout.
	restartAt := max(lostAfter, min(restartAfter, c.s.DisconnectTimeout/2))
	for {
		select {
		case <-c.ended:
			return
		case <-t.C:
		}
		now := c.s.Now()
		// After a tick that came late this process was stalled (a loaded machine): packets may
		// be waiting, unread, in the sockets. Silence counts only once ticks come on time again.
		dt := now.Sub(w.tick)
		if dt > 5*watchdogTick {
			w.onTime = 0
		} else {
			w.onTime++
		}
		w.tick = now
		c.mu.Lock()
		state, connectedAt := c.state, c.connectedAt
		c.mu.Unlock()
		if state == StateConnecting && connectedAt.IsZero() {
			if w.keyedAt.IsZero() {
				w.keyedAt = now
			} else if now.Sub(w.keyedAt) >= setupPathWait+c.s.DisconnectTimeout {
				c.end(ReasonFailed, errors.New("engine: no working network path"))
				return
			}
		}
		if state != StateConnected && state != StateReconnecting {
			continue
		}
		last := c.recv.lastArrival()
		if last.IsZero() || last.Before(connectedAt) {
			last = connectedAt
		}
		talking := !w.rtpAt.Before(w.prevLast.Add(-talkSlack))
		if b := c.recv.bytesRecv.Load(); b != w.rtpBytes {
			w.rtpBytes, w.rtpAt = b, now
		}
		if last.After(w.prevLast) {
			// A gap ended. One ended by a switch or a restart says nothing of the link's own
			// delivery gaps.
			if !w.prevLast.IsZero() && talking && !w.lost && c.paths.lastSwitch().Before(w.prevLast) {
				w.gaps.add(last.Sub(w.prevLast))
			}
			if w.suspected {
				w.suspected = false
				c.paths.clearSuspicion()
			}
			w.prevLast = last
		}
		silent := now.Sub(last)

		if w.lost && last.After(w.lostAt) {
			w.lost, w.okSince = false, last
			c.pathRestored(last.Sub(w.lostAt))
		}
		threshold := lostAfterQuiet
		if talking {
			threshold = w.suspectAfter()
		}
		// Suspicion needs a path that has delivered: before the first packet there is nothing
		// to compare a standby with (lostAfter still applies).
		if silent >= threshold && w.onTime >= onTimeTicks && !c.recv.lastArrival().IsZero() {
			every := probeEvery
			if w.lost {
				every = probeEveryLost
			}
			if !w.suspected {
				c.log.Debug("path suspected", "silent", silent, "threshold", threshold, "talking", talking)
			}
			if !w.suspected || now.Sub(w.probeAt) >= every {
				w.suspected, w.probeAt = true, now
				// The pair pion sends on now: the probes of the active pair must go to it.
				c.mu.Lock()
				pc := c.pc
				c.mu.Unlock()
				if p := pathOf(selectedPair(pc)); p.Local != "" {
					c.paths.selected(p)
				}
				c.paths.probeRound()
			}
			c.paths.decide()
		}
		if !w.lost {
			if w.okSince.IsZero() {
				w.okSince = last
			}
			if now.Sub(w.okSince) >= healthyAfter {
				w.backoff, w.next = minBackoff, time.Time{}
			}
			if silent < lostAfter || w.onTime < onTimeTicks {
				continue
			}
			w.lost, w.lostAt, w.okSince, w.iceBackAt = true, last, time.Time{}, time.Time{}
			c.log.Info("path lost", "silent", silent, "talking", talking)
			c.setState(StateReconnecting)
		} else if state == StateConnected {
			// ICE connected a restarted path (see onConnectionState) but nothing flows yet.
			if w.iceBackAt.IsZero() {
				w.iceBackAt = now
			} else if now.Sub(w.iceBackAt) >= iceBackGrace {
				w.iceBackAt = time.Time{}
				c.setState(StateReconnecting)
			}
		}

		// Lost. A peer heard on signaling is never given up; one silent on both channels for
		// DisconnectTimeout is.
		heard := time.Unix(0, c.fo.heard.Load())
		if silent >= c.s.DisconnectTimeout && (!c.fo.sigUp.Load() || now.Sub(heard) >= c.s.DisconnectTimeout) {
			c.end(ReasonPeerLost, errors.New("engine: nothing received from the peer"))
			return
		}
		// The last resort: no known pair worked for restartAfter (a standby that answers
		// is switched to well before), or switching did not help.
		if silent < restartAt || now.Sub(c.paths.lastSwitch()) < switchGrace {
			continue
		}
		if !now.Before(w.next) {
			c.kickRestart("path silent, no standby pair works")
			w.next = now.Add(w.backoff)
			w.backoff = min(2*w.backoff, maxBackoff)
		}
	}
}

// pathRestored reports that packets arrive again after a loss that lasted outage: a
// StateConnected event with Outage set (ICE may have reported the new pair connected a moment
// earlier, with a StateConnected event of its own).
func (c *Call) pathRestored(outage time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != StateReconnecting && c.state != StateConnected {
		return
	}
	// pion sends on the first pair that works before it nominates one: until it does (a path
	// event follows), the path is unknown.
	c.path = pathOf(selectedPair(c.pc))
	c.log.Info("path restored", "outage", outage, "path", c.path)
	c.state = StateConnected
	c.emitLocked(Event{At: c.s.Now(), State: StateConnected, Path: c.path, Relayed: c.path.Relayed(), Outage: outage})
}
