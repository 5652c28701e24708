package main

import (
	"strings"
	"testing"

	"github.com/parley-voice/parley/engine"
)

func TestProcessingFlags(t *testing.T) {
	f := processingFlags{aec: "on", ns: "off", agc: "auto"}
	aec, ns, agc, err := f.switches()
	if err != nil || aec != engine.SwitchOn || ns != engine.SwitchOff || agc != engine.SwitchAuto {
		t.Fatalf("switches: %v %v %v %v", aec, ns, agc, err)
	}
	if !resolve(engine.SwitchAuto, true) || resolve(engine.SwitchAuto, false) || !resolve(engine.SwitchOn, false) || resolve(engine.SwitchOff, true) {
		t.Error("resolve: auto follows the microphone, on and off do not")
	}
	for _, args := range [][]string{{"call", "bob", "-as", "alice", "-aec", "maybe"}, {"demo", "-ns", "yes"}, {"listen", "-as", "bob", "-agc", "1"}} {
		code, _, e := runCLI(t, args...)
		if code != 2 || !strings.Contains(e, "want auto, on or off") {
			t.Errorf("%v: exit %d, stderr %q", args, code, e)
		}
	}
}
