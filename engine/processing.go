package engine

import (
	"fmt"

	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/engine/audio/apm"
)

// Switch is an on/off setting whose zero value lets the engine decide.
type Switch int

const (
	// SwitchAuto (the zero value) lets the engine decide (see the field's comment).
	SwitchAuto Switch = iota
	// SwitchOn turns the feature on.
	SwitchOn
	// SwitchOff turns the feature off.
	SwitchOff
)

// String returns "auto", "on" or "off".
func (s Switch) String() string {
	switch s {
	case SwitchAuto:
		return "auto"
	case SwitchOn:
		return "on"
	case SwitchOff:
		return "off"
	}
	return fmt.Sprintf("Switch(%d)", int(s))
}

// ParseSwitch reads "auto", "on" or "off" (as the CLI's -aec, -ns and -agc take them).
func ParseSwitch(v string) (Switch, error) {
	switch v {
	case "auto", "":
		return SwitchAuto, nil
	case "on":
		return SwitchOn, nil
	case "off":
		return SwitchOff, nil
	}
	return 0, fmt.Errorf("%w: %q is not auto, on or off", ErrConfig, v)
}

// on resolves the switch: auto means live.
func (s Switch) on(live bool) bool { return s == SwitchOn || s == SwitchAuto && live }

// processing builds the microphone processing stage the settings ask for and puts it between
// the source and the encoder (Capture) and after the sink (Reverse: the far end as played is
// the echo canceller's reference). It returns nil when nothing is on.
func processing(s *settings) (*apm.Processor, error) {
	for _, sw := range []Switch{s.EchoCancel, s.NoiseSuppress, s.GainControl} {
		if sw < SwitchAuto || sw > SwitchOff {
			return nil, fmt.Errorf("%w: unknown Switch %d", ErrConfig, int(sw))
		}
	}
	live := audio.IsLive(s.Source)
	cfg := apm.Config{
		EchoCancel:    s.EchoCancel.on(live),
		NoiseSuppress: s.NoiseSuppress.on(live),
		GainControl:   s.GainControl.on(live),
	}
	if !cfg.EchoCancel && !cfg.NoiseSuppress && !cfg.GainControl {
		return nil, nil
	}
	p, err := apm.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: audio processing: %w", ErrConfig, err)
	}
	p.SetDelay(apm.DelayHint(s.Source, s.Sink))
	s.Source = &apm.Capture{Source: s.Source, P: p}
	if cfg.EchoCancel {
		s.Sink = &apm.Reverse{Sink: s.Sink, P: p}
	}
	return p, nil
}
