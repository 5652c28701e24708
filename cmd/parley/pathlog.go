package main

import (
	"fmt"
	"io"

	"github.com/parley-voice/parley/engine"
)

// pathLog follows a call's network paths for the CLI: it prints the standby path when it
// appears, changes or goes, each path switch with its cause, and each ICE restart. The zero
// value is ready to use; not safe for concurrent use.
type pathLog struct {
	standby            string // "", "none", "direct" or "relay"
	switches, restarts uint64
}

// print writes what changed since the previous Stats.
func (l *pathLog) print(w io.Writer, st engine.Stats) {
	// By kind only: the standby's exact pair may change with every check.
	standby, show := "none", "none"
	if st.Standby.Local != "" {
		standby, show = "direct", st.Standby.String()
		if st.Standby.Relayed() {
			standby = "relay"
		}
	}
	if standby != l.standby {
		fmt.Fprintf(w, "  standby path: %s\n", show)
		l.standby = standby
	}
	if n := int(st.Switches - l.switches); n > 0 {
		log := st.SwitchLog
		for _, sw := range log[max(0, len(log)-n):] {
			fmt.Fprintf(w, "  path switch (no ICE restart): %v\n", sw)
		}
		l.switches = st.Switches
	}
	if st.ICERestarts > l.restarts {
		fmt.Fprintf(w, "  ICE restart (%d so far): no standby path worked\n", st.ICERestarts)
		l.restarts = st.ICERestarts
	}
}

// printPathSummary writes the closing line: how often the path changed.
func printPathSummary(w io.Writer, st engine.Stats) {
	fmt.Fprintf(w, "  path switches %d, ICE restarts %d\n", st.Switches, st.ICERestarts)
}
