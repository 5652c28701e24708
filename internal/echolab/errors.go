package echolab

import "errors"

var (
	// ErrSpeech is returned when the codec2-examples speech cannot be read (the package is
	// missing: scripts/deps.sh installs it).
	ErrSpeech = errors.New("echolab: codec2-examples speech not available")
	// ErrScenario is returned by Build for a scenario out of range (named in the message).
	ErrScenario = errors.New("echolab: bad scenario")
)
