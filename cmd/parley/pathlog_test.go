package main

import (
	"strings"
	"testing"
	"time"

	"github.com/parley-voice/parley/engine"
)

func TestPathLog(t *testing.T) {
	direct := engine.Path{Local: "host", Remote: "host", Protocol: "udp"}
	relay := engine.Path{Local: "relay", Remote: "host", Protocol: "udp"}
	var l pathLog
	var b strings.Builder
	l.print(&b, engine.Stats{Path: direct, Standby: relay})
	l.print(&b, engine.Stats{Path: direct, Standby: relay}) // nothing new
	sw := engine.PathSwitch{At: time.Now(), From: direct, To: relay, Cause: "active path silent 90ms"}
	l.print(&b, engine.Stats{Path: relay, Standby: direct, Switches: 1, SwitchLog: []engine.PathSwitch{sw}, ICERestarts: 1})
	l.print(&b, engine.Stats{Path: relay, Switches: 1, SwitchLog: []engine.PathSwitch{sw}, ICERestarts: 1})
	want := "  standby path: relay/udp → host\n" +
		"  standby path: host/udp → host\n" +
		"  path switch (no ICE restart): host/udp → host → relay/udp → host (active path silent 90ms)\n" +
		"  ICE restart (1 so far): no standby path worked\n" +
		"  standby path: none\n"
	if got := b.String(); got != want {
		t.Errorf("printed\n%s\nwant\n%s", got, want)
	}
}
