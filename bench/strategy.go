package bench

import (
	"fmt"
	"strings"
	"time"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/bench/baseline"
	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/engine/jitter"
	"github.com/parley-voice/parley/engine/media"
	"github.com/parley-voice/parley/internal/netem"
)

// Strategies of the side-by-side benchmark, in table order.
const (
	StrategyFixed    = "fixed32"     // 32 kb/s, 20 ms, no FEC, 80 ms fixed buffer
	StrategyFixedFEC = "fixed32+fec" // the same with in-band FEC (loss hint 10 %)
	StrategyWebRTC   = "webrtc-like" // pion's GCC in virtual time + FEC/frame rules + NetEq-like buffer
	StrategyTGVoIP   = "tgvoip-like" // 1 kb/s steps, mean+2σ buffer, redundancy ladder
	StrategyAdapt    = "adapt"       // media.AdaptPolicy, the buffer following its jitter target
	// StrategyAdaptNetEq is Parley's sender adaptation with the engine's default buffer
	// (jitter.ModeDefault: the NetEq-like delay quantile plus the cover the sender's
	// redundancy needs) instead of the policy's jitter target: what the engine runs by default
	// (engine.Config.AdaptJitter off).
	StrategyAdaptNetEq = "adapt+neteq"
	// StrategyAdaptFloor is Parley's sender adaptation with the NetEq-like buffer whose target
	// is raised to the floor the sender's redundancy needs (adapt.PolicyConfig.TargetFloor):
	// a receiver target that knows the sender's frame and redundancy depth.
	StrategyAdaptFloor = "adapt+floor"
	// StrategyAdaptTrack is Parley's sender adaptation with the tracking receiver
	// (jitter.ModeTrack): a target from the recent relative delay, forgetting in time, that
	// covers the redundancy depth the receiver reads from the packets while they are lost, and
	// a shorter hold. Unlike adapt and adapt+floor it needs nothing from the sender's policy, so
	// a live call can run it.
	StrategyAdaptTrack = "adapt+track"
	// StrategyOracle is the hindsight-best fixed setting per profile and seed: an oracle, the
	// upper reference among fixed settings, not a strategy a call could run.
	StrategyOracle = "hindsight*"
	// StrategyFixedDRED is fixed32 with 200 ms of DRED (libopus 1.5, 20 % loss hint) and a
	// Deep PLC receiver that rebuilds lost frames from later packets' DRED, with a 100 ms fixed
	// buffer. One of the OptionalStrategies: run only when named (needs codec.Features().DRED).
	StrategyFixedDRED = "fixed32+dred"
)

// Strategy is one strategy of the side-by-side benchmark: how to build its sender's policy and
// its receiver for a job. Every strategy runs the media core's send step, driven by its
// policy through a media.Adapter, with feedback over the reverse link.
type Strategy struct {
	Name string
	// NewPolicy builds the sender's policy for job.
	NewPolicy func(job Job) (media.Policy, error)
	// NewReceiver builds the receiver for job (fresh for each run).
	NewReceiver func(job Job) Receiver
	// Follow says the receiver (an *AdaptiveReceiver) plays with the policy's decided
	// JitterTarget plus one playout chunk, as if the receiver decided what the sender does.
	Follow bool
	// Floor (with Follow) makes the decided JitterTarget a floor under the buffer's own
	// NetEq-like target: the buffer plays at the larger of the two.
	Floor bool
}

// Strategies is the table of strategies, in table order.
var Strategies = []Strategy{
	{Name: StrategyFixed, NewPolicy: fixedPolicy(fixed32), NewReceiver: fixedReceiver(fixed32)},
	{Name: StrategyFixedFEC, NewPolicy: fixedPolicy(fixed32FEC), NewReceiver: fixedReceiver(fixed32FEC)},
	{Name: StrategyWebRTC,
		NewPolicy:   func(Job) (media.Policy, error) { return baseline.NewWebRTC(), nil },
		NewReceiver: func(Job) Receiver { return netEqReceiver() }},
	{Name: StrategyTGVoIP,
		NewPolicy: func(Job) (media.Policy, error) { return baseline.NewTGVoIP(), nil },
		NewReceiver: func(Job) Receiver {
			return &AdaptiveReceiver{Config: jitter.Config{FEC: true, DecelerateFar: true}, Target: baseline.TGVoIPTarget()}
		}},
	{Name: StrategyAdapt, NewPolicy: adaptPolicy,
		NewReceiver: func(Job) Receiver { return &AdaptiveReceiver{Config: adaptJitterConfig()} }, Follow: true},
	{Name: StrategyAdaptNetEq, NewPolicy: adaptPolicy, NewReceiver: func(Job) Receiver { return engineReceiver() }},
	{Name: StrategyAdaptTrack, NewPolicy: adaptPolicy, NewReceiver: func(Job) Receiver { return engineReceiverMode(jitter.ModeTrack) }},
	{Name: StrategyAdaptFloor, NewPolicy: adaptFloorPolicy, NewReceiver: func(Job) Receiver { return engineReceiver() },
		Follow: true, Floor: true},
	{Name: StrategyOracle,
		NewPolicy:   func(j Job) (media.Policy, error) { return j.Fixed.policy(), nil },
		NewReceiver: func(j Job) Receiver { return j.Fixed.receiver() }},
}

// OptionalStrategies run only when named (`bench adapt -strategies`): they need libopus 1.5's
// neural features, which a plain build lacks, and would lengthen every default run.
var OptionalStrategies = []Strategy{
	{Name: StrategyFixedDRED, NewPolicy: fixedPolicy(fixed32DRED), NewReceiver: fixedReceiver(fixed32DRED)},
}

// StrategyNames lists the strategies' names in table order.
func StrategyNames() []string {
	names := make([]string, len(Strategies))
	for i, s := range Strategies {
		names[i] = s.Name
	}
	return names
}

// LookupStrategy returns the strategy named name.
func LookupStrategy(name string) (Strategy, error) {
	for _, s := range append(Strategies[:len(Strategies):len(Strategies)], OptionalStrategies...) {
		if s.Name == name {
			return s, nil
		}
	}
	names := StrategyNames()
	for _, s := range OptionalStrategies {
		names = append(names, s.Name)
	}
	return Strategy{}, fmt.Errorf("%w: strategy %q (have %s)", ErrConfig, name, strings.Join(names, ", "))
}

// FixedSetting is one fixed sender and receiver configuration.
type FixedSetting struct {
	BitrateBps int
	FEC        bool
	REDDepth   int
	Buffer     time.Duration // fixed jitter-buffer delay
	// DRED is the Deep REDundancy sent (libopus 1.5; loss hint 20 %), decoded by the receiver;
	// DecoderComplexity the receiver's decoder level (codec.DecoderDeepPLC: Deep PLC).
	DRED              time.Duration
	DecoderComplexity int
}

var (
	fixed32    = FixedSetting{BitrateBps: 32000, Buffer: DefaultFixedDelay}
	fixed32FEC = FixedSetting{BitrateBps: 32000, FEC: true, Buffer: DefaultFixedDelay}
	// fixed32DRED's buffer waits 3 frames past a loss for a packet carrying DRED (as bench codec's
	// DRED configs do).
	fixed32DRED = FixedSetting{BitrateBps: 32000, DRED: 200 * time.Millisecond, DecoderComplexity: codec.DecoderDeepPLC,
		Buffer: 100 * time.Millisecond}
)

// settings returns the sender settings of f (20 ms frames; FEC with a 10 % loss hint).
func (f FixedSetting) settings() media.Settings {
	s := media.Settings{BitrateBps: f.BitrateBps, Frame: 20 * time.Millisecond, FEC: f.FEC, REDDepth: f.REDDepth}
	if f.FEC {
		s.LossHint = 0.1
	}
	if f.DRED > 0 {
		s.DRED, s.LossHint = f.DRED, 0.2
	}
	return s
}

func (f FixedSetting) policy() media.Policy {
	return &baseline.Fixed{Settings: f.settings(), Target: f.Buffer}
}

func (f FixedSetting) receiver() Receiver {
	return &FixedReceiver{Delay: f.Buffer, FEC: f.FEC, Complexity: f.DecoderComplexity, DRED: f.DRED > 0}
}

func fixedPolicy(f FixedSetting) func(Job) (media.Policy, error) {
	return func(Job) (media.Policy, error) { return f.policy(), nil }
}

func fixedReceiver(f FixedSetting) func(Job) Receiver {
	return func(Job) Receiver { return f.receiver() }
}

// adaptPolicy is the engine's default policy over the job's controller (nil: the embedded
// model with the default policy, sending DRED when libopus has it, as the engine does).
func adaptPolicy(j Job) (media.Policy, error) {
	p, err := media.NewAdaptPolicy(j.Adapt.Controller, adapt.PolicyConfig{DRED: codec.Features().DRED})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return p, nil
}

// adaptFloorPolicy is adaptPolicy whose decided jitter target is the floor of the sender's
// redundancy (adapt.PolicyConfig.TargetFloor), over the job's controller when it has one.
func adaptFloorPolicy(j Job) (media.Policy, error) {
	p, err := media.NewAdaptPolicy(j.Adapt.Controller, adapt.PolicyConfig{TargetFloor: true, DRED: codec.Features().DRED})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return p, nil
}

// netEqReceiver is the NetEq-like buffer (jitter.ModeNetEq), decelerating towards any target
// rise as libwebrtc NetEq's preemptive expand does (jitter.Config.DecelerateFar).
func netEqReceiver() *AdaptiveReceiver {
	return &AdaptiveReceiver{Config: jitter.Config{FEC: true, Mode: jitter.ModeNetEq, DecelerateFar: true}}
}

// engineReceiverMode is engineReceiver with the buffer's own policy set to mode: adapt+track,
// the receiver A/B against adapt+neteq (engineReceiver) behind the same sender.
func engineReceiverMode(mode jitter.Mode) *AdaptiveReceiver {
	c := engineJitterConfig()
	c.Mode = mode
	return &AdaptiveReceiver{Config: c}
}

// engineReceiver is the NetEq-like buffer as the engine's receiver runs it by default
// (engine/recv.go): FEC, DRED recovery when libopus has DRED, and the best decoder the linked
// libopus has (Deep PLC and NoLACE with libopus 1.5; engine.Config.DecoderComplexity's
// default). The adaptive strategies play with it; the baselines keep classic concealment, as
// the systems they stand for do.
func engineReceiver() *AdaptiveReceiver { return &AdaptiveReceiver{Config: engineJitterConfig()} }

// engineJitterConfig is the engine's default jitter-buffer configuration.
func engineJitterConfig() jitter.Config {
	f := codec.Features()
	return jitter.Config{FEC: true, DRED: f.DRED, DecoderComplexity: f.BestDecoderComplexity()}
}

// adaptJitterConfig is the adaptive run's buffer: the engine's receiver (engineJitterConfig)
// with targets from 10 ms.
func adaptJitterConfig() jitter.Config {
	c := engineJitterConfig()
	c.MinTarget = 10 * time.Millisecond
	return c
}

// ReverseLink is the configuration of the path back from the receiver for a forward link cfg:
// the same loss, duplication, reordering, delay and outages, without the capacity limit (it
// carries only the feedback here, where a live call would also carry the peer's audio). The
// bench seeds it with netem.ReverseSeed of the forward seed, as a netem.Net seeds its ingress.
func ReverseLink(cfg netem.LinkConfig) netem.LinkConfig {
	cfg.Capacity = netem.CapacityConfig{}
	return cfg
}

// codecBase is the encoder's fixed part in the benchmark, as a call runs it: the call's
// complexity (or the one given), the call's DTX (codec.DefaultSettings), full band.
func codecBase(complexity int) codec.Settings {
	d := codec.DefaultSettings()
	if complexity == 0 {
		complexity = d.Complexity
	}
	return codec.Settings{Complexity: complexity, MaxBandwidth: codec.BandwidthAuto, DTX: d.DTX}
}

// runStrategy runs strategy st for job over the forward link and its reverse.
func runStrategy(st Strategy, job Job, speech []float32, link, reverse *netem.Link, tl *Timeline) (AdaptResult, error) {
	pol, err := st.NewPolicy(job)
	if err != nil {
		return AdaptResult{}, err
	}
	cfg := loopConfig{policy: pol, codec: codecBase(job.Adapt.Complexity), rx: st.NewReceiver(job), follow: st.Follow, floor: st.Floor,
		reverse: reverse, timeline: tl}
	if ap, ok := pol.(*media.AdaptPolicy); ok && !st.Floor {
		// A floor starts at none: the initial settings carry no redundancy to wait for, and a
		// floor at the policy's initial target would only be stretched away again.
		cfg.target0 = ap.Controller().Policy.Current().JitterTarget
	}
	return runLoop(speech, cfg, link)
}
