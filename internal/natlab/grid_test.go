package natlab

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// expect returns the path two peers must end up on, derived from RFC 4787
// semantics and ICE's behaviour (both sides send checks to every remote
// candidate; a check that arrives from an unknown address yields a
// peer-reflexive candidate that is answered at once). The relation is
// symmetric; the grid runs both orders, so both roles are covered.
//
//   - udp-blocked ↔ anything: relay. No UDP leaves the LAN; the only
//     candidate that works is the relay allocated over TCP.
//   - no-nat ↔ anything with UDP: direct. The NATed side sends to the
//     public host candidate; its own NAT then admits the replies from
//     exactly that address and port, whatever its kind.
//   - endpoint-independent mapping on both sides (full-cone, restricted,
//     port-restricted in any combination): direct. The srflx address each
//     side learned from STUN is the one used towards the peer, and each
//     side's outgoing checks open its own filter for the peer's srflx.
//   - symmetric ↔ full-cone: direct. The symmetric side's check leaves from
//     a fresh port, but endpoint-independent filtering admits it; the reply
//     goes to the new (peer-reflexive) port, which the symmetric NAT admits
//     because it has just sent to the full-cone srflx.
//   - symmetric ↔ restricted-cone: direct. The restricted side's check to
//     the symmetric side's srflx is dropped there (wrong port), but it opens
//     the restricted filter for the symmetric NAT's IP address, any port;
//     the symmetric side's check from its fresh port then gets in, and the
//     reply to that peer-reflexive address passes the symmetric filter.
//   - symmetric ↔ port-restricted: relay. The port-restricted filter opens
//     only for the symmetric srflx port the STUN server saw, never for the
//     fresh port the symmetric NAT picks towards the peer.
//   - symmetric ↔ symmetric: relay. Neither side can predict the other's
//     port.
//
// pion's vnet implements these behaviours as RFC 4787 defines them (see
// vnet/nat.go: mapping keyed by destination IP or IP:port, filters keyed
// the same way, per-NAT port counter); no cell departs from theory, so
// every cell is asserted strictly.
func expect(a, b NAT) path {
	if a == UDPBlocked || b == UDPBlocked {
		return relay
	}
	if a == NoNAT || b == NoNAT {
		return direct
	}
	if a == Symmetric && b == Symmetric {
		return relay
	}
	if a == Symmetric || b == Symmetric {
		other := a
		if a == Symmetric {
			other = b
		}
		if other == PortRestrictedCone {
			return relay
		}
		return direct
	}
	return direct
}

// gridConcurrencyDefault is how many cells run at once; the environment
// variable NATLAB_GRID_CONCURRENCY overrides it. All 36 at once makes the
// start-up burst (72 agents gathering under -race) starve hole punching on a
// loaded 2-core machine for seconds; 18 keeps direct cells well under a
// second while the relay cells, started first, wait out relayWait together.
const gridConcurrencyDefault = 18

// TestGrid connects every NAT kind to every other, in both roles, and
// asserts the path (direct or relay) of the selected candidate pair against
// expect. The cells run concurrently (they are dominated by ICE timers, not
// CPU), not as t.Parallel subtests, which -parallel would cap at GOMAXPROCS;
// each cell then reports as its own subtest. With -v it prints the grid with
// the candidate types chosen.
func TestGrid(t *testing.T) {
	gridConcurrency := gridConcurrencyDefault
	if s := os.Getenv("NATLAB_GRID_CONCURRENCY"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			gridConcurrency = n
		}
	}
	if testing.Short() {
		t.Skip("grid takes a few seconds")
	}
	base := runtime.NumGoroutine()
	start := time.Now()
	type result struct {
		c   cell
		err error
	}
	results := make(map[[2]NAT]result)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	// Cells expected on relay first: they mostly wait for relayWait, so
	// they should overlap each other rather than queue behind direct cells.
	var order [][2]NAT
	for _, want := range []path{relay, direct} {
		for _, a := range AllNATs {
			for _, b := range AllNATs {
				if expect(a, b) == want {
					order = append(order, [2]NAT{a, b})
				}
			}
		}
	}
	sem := make(chan struct{}, gridConcurrency)
	for _, ab := range order {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, err := connect(ab[0], ab[1])
			mu.Lock()
			results[ab] = result{c, err}
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	failed := map[[2]NAT]bool{}
	for _, a := range AllNATs {
		for _, b := range AllNATs {
			r := results[[2]NAT{a, b}]
			ok := t.Run(a.String()+"→"+b.String(), func(t *testing.T) {
				if r.err != nil {
					t.Fatalf("%v\ncands a: %s\ncands b: %s", r.err, r.c.candsA, r.c.candsB)
				}
				want := expect(a, b)
				if r.c.outA.path() != want || r.c.outB.path() != want {
					t.Errorf("got a %v (%v), b %v (%v); want %v\ncands a: %s\ncands b: %s",
						r.c.outA.path(), r.c.outA, r.c.outB.path(), r.c.outB, want, r.c.candsA, r.c.candsB)
				}
				checkRelayProto(t, a, r.c.outA)
				checkRelayProto(t, b, r.c.outB)
			})
			failed[[2]NAT{a, b}] = !ok
		}
	}
	cells := make(map[[2]NAT]cell, len(results))
	for k, r := range results {
		cells[k] = r.c
	}
	t.Logf("grid of %d cells in %v (rows: a, controlling; columns: b, controlled; entry: expected path, a's selected local→remote, connect/total seconds):\n%s",
		len(results), elapsed.Round(time.Millisecond), table(cells, failed))
	leakStart := time.Now()
	waitGoroutines(t, base, 10*time.Second)
	t.Logf("goroutines back to %d after %v", base, time.Since(leakStart).Round(time.Millisecond))
}

// checkRelayProto asserts that a UDP-blocked peer's relay is reached by TCP.
func checkRelayProto(t *testing.T, n NAT, o outcome) {
	t.Helper()
	if n == UDPBlocked && o.relayProto() != "" && o.relayProto() != "tcp" {
		t.Errorf("%v: local relay over %q, want tcp", n, o.relayProto())
	}
	if n == UDPBlocked && o.local.Type().String() != "relay" {
		t.Errorf("%v: local candidate %v, want relay", n, o.local.Type())
	}
}

// table renders the grid as text.
func table(cells map[[2]NAT]cell, failed map[[2]NAT]bool) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%-16s", "a \\ b")
	for _, b := range AllNATs {
		fmt.Fprintf(&sb, " %-36s", b)
	}
	sb.WriteByte('\n')
	for _, a := range AllNATs {
		fmt.Fprintf(&sb, "%-16s", a)
		for _, b := range AllNATs {
			c := cells[[2]NAT{a, b}]
			entry := "error"
			if c.outA.local != nil {
				entry = fmt.Sprintf("%v %v %.1f/%.1fs", expect(a, b), c.outA, c.connected.Seconds(), c.elapsed.Seconds())
			}
			if failed[[2]NAT{a, b}] {
				entry += " FAIL"
			}
			fmt.Fprintf(&sb, " %-36s", entry)
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}
