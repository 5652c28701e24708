package bench

import (
	"fmt"
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/engine/jitter"
	"github.com/parley-voice/parley/internal/netem"
)

// AdaptConfig configures RunAdaptive. Zero fields take the defaults given.
type AdaptConfig struct {
	// Controller decides; nil builds one over the embedded model with the default policy.
	Controller *adapt.Controller
	// Every is the decision period (500 ms).
	Every time.Duration
	// FeedbackDelay is how long after a packet's arrival the sender learns of it (receiver
	// report interval plus the reverse path; 100 ms). The sender's tracker sees the receiver's
	// view as of FeedbackDelay ago, and an RTT sample once a second.
	FeedbackDelay time.Duration
	// Complexity is the Opus complexity (codecdefaults: 0 means the call default).
	Complexity int
}

// AdaptStep is one decision of an adaptive run.
type AdaptStep struct {
	At       time.Duration
	Decision adapt.Decision
}

// AdaptResult is an adaptive run's outcome: the pipeline result and the decisions made.
type AdaptResult struct {
	Result
	Steps   []AdaptStep
	Changes int // decisions that changed the settings
}

// feedback is an arrival waiting to be reported to the sender.
type feedback struct {
	visible, arrival, send time.Duration
	seq                    uint16
	size                   int
}

// RunAdaptive is Run with a sender whose settings (bitrate, frame size, FEC and loss hint, RED
// depth and low-rate copies) change every cfg.Every as the controller decides from delayed
// receiver feedback, and whose receiver (rx, fresh) plays with the decided jitter-buffer target
// (plus one playout chunk, as jitter's default policy adds). Run itself is unchanged.
func RunAdaptive(speech []float32, cfg AdaptConfig, link *netem.Link, rx *AdaptiveReceiver) (AdaptResult, error) {
	if cfg.Every <= 0 {
		cfg.Every = 500 * time.Millisecond
	}
	if cfg.FeedbackDelay <= 0 {
		cfg.FeedbackDelay = 100 * time.Millisecond
	}
	ctl := cfg.Controller
	if ctl == nil {
		var err error
		if ctl, err = adapt.NewController(nil, adapt.PolicyConfig{}); err != nil {
			return AdaptResult{}, fmt.Errorf("bench: %w", err)
		}
	}
	cur := ctl.Policy.Current()
	if rx.Config.InitialTarget == 0 {
		// Start playout at the policy's initial target rather than stretch up to it.
		rx.Config.InitialTarget = cur.JitterTarget + PlayoutChunk
	}
	settings := codec.Settings{BitrateBps: cur.BitrateBps, Complexity: cfg.Complexity, MaxBandwidth: codec.BandwidthAuto}
	if settings.Complexity == 0 {
		settings.Complexity = codec.DefaultSettings().Complexity
	}
	enc, err := codec.NewEncoder(SampleRateHz, settings)
	if err != nil {
		return AdaptResult{}, fmt.Errorf("bench: %w", err)
	}
	low, err := codec.NewEncoder(SampleRateHz, codec.Settings{BitrateBps: adapt.DefaultLowRateBps, Complexity: settings.Complexity})
	if err != nil {
		return AdaptResult{}, fmt.Errorf("bench: low-rate RED encoder: %w", err)
	}
	var red *codec.Redundancy
	redDepth, redLow := 0, 0

	var res AdaptResult
	var targets []AdaptStep // jitter targets over time, for the playout
	var pz codec.Packetizer
	var arrivals []arrival
	var pending []feedback
	opusBuf := make([]byte, codec.MaxPacketBytes)
	nextDecision, nextRTT := time.Duration(0), time.Duration(0)
	pos := 0
	at := time.Duration(0)
	for {
		if at >= nextDecision {
			// Report what the receiver saw up to FeedbackDelay ago.
			seen := at - cfg.FeedbackDelay
			n := 0
			for _, p := range pending {
				if p.visible > at {
					break
				}
				ctl.Tracker.OnPacket(p.arrival, p.send, p.seq, p.size)
				if p.arrival >= nextRTT {
					ctl.Tracker.OnRTT(p.arrival, p.arrival-p.send+cfg.FeedbackDelay)
					nextRTT = p.arrival + time.Second
				}
				n++
			}
			pending = pending[n:]
			d := ctl.Decide(max(seen, 0))
			res.Steps = append(res.Steps, AdaptStep{At: at, Decision: d})
			targets = append(targets, AdaptStep{At: at, Decision: d})
			if d.Changed {
				res.Changes++
			}
			cur = d.Settings
			settings.BitrateBps, settings.FEC, settings.LossHint = cur.BitrateBps, cur.FEC, cur.LossHint
			if err := enc.Apply(settings); err != nil {
				return res, fmt.Errorf("bench: %w", err)
			}
			if cur.REDDepth != redDepth || cur.REDLowRateBps != redLow {
				redDepth, redLow, red = cur.REDDepth, cur.REDLowRateBps, nil
				if redDepth > 0 {
					var l *codec.Encoder
					if redLow > 0 {
						l = low
					}
					if red, err = codec.NewRedundancy(redDepth, l); err != nil {
						return res, fmt.Errorf("bench: %w", err)
					}
				}
			}
			nextDecision = at + cfg.Every
		}
		frame := cur.Frame
		fs, err := codec.FrameSamples(SampleRateHz, frame)
		if err != nil {
			return res, fmt.Errorf("%w: Frame: %v", ErrConfig, err)
		}
		if pos+fs > len(speech) {
			break
		}
		pcm := speech[pos : pos+fs]
		n, err := enc.Encode(pcm, opusBuf)
		if err != nil {
			return res, fmt.Errorf("bench: at %v: %w", at, err)
		}
		h, send := pz.Next(n, frame)
		if send {
			p := Packet{SequenceNumber: h.SequenceNumber, Timestamp: h.Timestamp, Marker: h.Marker, FrameSamples: fs}
			if red != nil {
				p.RED = true
				p.Payload, err = red.Pack(make([]byte, 0, n+256), redPayloadType, h.Timestamp, opusBuf[:n], pcm)
				if err != nil {
					return res, fmt.Errorf("bench: at %v: %w", at, err)
				}
			} else {
				p.Payload = append([]byte(nil), opusBuf[:n]...)
			}
			res.PacketsSent++
			res.PayloadBytes += len(p.Payload)
			size := len(p.Payload) + packetOverheadBytes
			ctl.Tracker.OnSend(at, size)
			d := link.Send(at, size)
			if !d.Dropped {
				arrivals = append(arrivals, arrival{at: d.At, p: p})
				pending = append(pending, feedback{visible: d.At + cfg.FeedbackDelay, arrival: d.At, send: at, seq: h.SequenceNumber, size: size})
				if d.Dup {
					arrivals = append(arrivals, arrival{at: d.DupAt, p: p})
				}
			}
			// Deliveries can come back out of send order (reordering, a queue draining): keep
			// the feedback sorted by visibility.
			for i := len(pending) - 1; i > 0 && pending[i].visible < pending[i-1].visible; i-- {
				pending[i], pending[i-1] = pending[i-1], pending[i]
			}
		}
		pos += fs
		at += frame
	}
	res.Sent = speech[:pos]
	res.Duration = at
	res.Link = link.Stats()
	res.NetworkLoss = networkLoss(arrivals, res.PacketsSent)
	sortArrivals(arrivals)

	// Playout, as in Run, with the jitter target following the decisions.
	target := cur.JitterTarget
	if len(targets) > 0 {
		target = targets[0].Decision.JitterTarget
	}
	policy := func(e jitter.Estimate) time.Duration { return target + e.Chunk }
	if rx.init() {
		rx.Buffer().SetTargetPolicy(policy) // from the first packet on
	}
	ti := 0
	res.Receive, res.Received, res.Delay = playout(arrivals, rx, res.Duration, len(res.Sent), func(t time.Duration) {
		for ti < len(targets) && targets[ti].At <= t {
			target = targets[ti].Decision.JitterTarget
			ti++
		}
	})
	return res, nil
}
