package portaudio

import (
	"errors"
	"testing"
)

// TestDevices opens the default devices: on a machine with a sound card a short capture and
// playback must work; without one both must fail with ErrNoDevice, never crash.
func TestDevices(t *testing.T) {
	mic, err := OpenMicrophone()
	if errors.Is(err, ErrNoDevice) {
		t.Logf("no input device: %v", err)
	} else if err != nil {
		t.Fatalf("microphone: %v", err)
	} else {
		p := make([]float32, 480)
		if _, err := mic.Read(p); err != nil {
			t.Errorf("read: %v", err)
		}
		if err := mic.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if _, err := mic.Read(p); !errors.Is(err, ErrClosed) {
			t.Errorf("read after close: %v", err)
		}
	}
	spk, err := OpenSpeaker()
	if errors.Is(err, ErrNoDevice) {
		t.Logf("no output device: %v", err)
		return
	} else if err != nil {
		t.Fatalf("speaker: %v", err)
	}
	if err := spk.Write(make([]float32, 480)); err != nil {
		t.Errorf("write: %v", err)
	}
	if err := spk.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}
