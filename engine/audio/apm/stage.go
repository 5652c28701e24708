package apm

import (
	"time"

	"github.com/parley-voice/parley/engine/audio"
)

// Capture is an audio.Source cleaned by a Processor: Read reads Source and processes the whole
// 10 ms frames it got in place. If the processor fails (closed, or a webrtc error) the audio
// passes unprocessed: a call's voice never stops for its processing. Safe for concurrent use
// if Source is.
type Capture struct {
	Source audio.Source
	P      *Processor
}

// Read reads from c.Source and cleans what it read. It allocates nothing.
func (c *Capture) Read(p []float32) (int, error) {
	n, err := c.Source.Read(p)
	if whole := n - n%c.P.frame; whole > 0 {
		_ = c.P.ProcessCapture(p[:whole])
	}
	return n, err
}

// Reverse is an audio.Sink that also feeds a Processor's reverse stream: after Sink took a
// chunk (a device's Write returns once it has the samples to play), its whole 10 ms frames go
// to AnalyzeReverse. A failing processor never fails the Sink. Safe for concurrent use if Sink
// is.
type Reverse struct {
	Sink audio.Sink
	P    *Processor
}

// Write plays p and analyses it. It allocates nothing.
func (r *Reverse) Write(p []float32) error {
	if err := r.Sink.Write(p); err != nil {
		return err
	}
	if whole := len(p) - len(p)%r.P.frame; whole > 0 {
		_ = r.P.AnalyzeReverse(p[:whole])
	}
	return nil
}

// Latency is implemented by sources and sinks that know their device's buffering (PortAudio's
// streams): a Capture over such a source and a Reverse over such a sink give the processor a
// delay hint (see DelayHint).
type Latency interface {
	Latency() time.Duration
}

// DelayHint is the playout-to-capture delay the devices report (the sink's output latency plus
// the source's input latency), or zero when either does not say. The acoustic path adds a few
// milliseconds; the echo canceller finds the exact delay itself.
func DelayHint(src audio.Source, sink audio.Sink) time.Duration {
	s, ok1 := src.(Latency)
	k, ok2 := sink.(Latency)
	if !ok1 || !ok2 {
		return 0
	}
	return max(0, s.Latency()) + max(0, k.Latency())
}
