package main

import "github.com/parley-voice/parley/engine"

// processingFlags are -aec, -ns and -agc: the microphone processing switches call, listen and
// demo take (auto: on for a microphone, off for a WAV file).
type processingFlags struct {
	aec, ns, agc string
}

// addProcessingFlags adds the three flags; auto says what their auto means.
func addProcessingFlags(fs interface {
	StringVar(*string, string, string, string)
}, f *processingFlags, auto string) {
	fs.StringVar(&f.aec, "aec", "auto", "echo cancellation: auto ("+auto+"), on or off")
	fs.StringVar(&f.ns, "ns", "auto", "noise suppression: auto ("+auto+"), on or off")
	fs.StringVar(&f.agc, "agc", "auto", "automatic gain control: auto ("+auto+"), on or off")
}

// switches parses the three flags.
func (f *processingFlags) switches() (aec, ns, agc engine.Switch, err error) {
	if aec, err = engine.ParseSwitch(f.aec); err != nil {
		return 0, 0, 0, usagef("-aec: want auto, on or off, got %q", f.aec)
	}
	if ns, err = engine.ParseSwitch(f.ns); err != nil {
		return 0, 0, 0, usagef("-ns: want auto, on or off, got %q", f.ns)
	}
	if agc, err = engine.ParseSwitch(f.agc); err != nil {
		return 0, 0, 0, usagef("-agc: want auto, on or off, got %q", f.agc)
	}
	return aec, ns, agc, nil
}

// resolve is a switch's state for a source that is (live) or is not a microphone.
func resolve(s engine.Switch, live bool) bool {
	return s == engine.SwitchOn || s == engine.SwitchAuto && live
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
