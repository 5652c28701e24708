package jitter

import (
	"fmt"
	"time"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultMinTarget      = 20 * time.Millisecond
	DefaultMaxTarget      = 1000 * time.Millisecond
	DefaultInitialTarget  = 20 * time.Millisecond
	DefaultQuantile       = 0.95
	DefaultForgetFactor   = 0.995
	DefaultMaxStretchRate = 0.10
	DefaultCapacity       = 256
)

// maxTargetLimit bounds MaxTarget: the delay histogram spans this range.
const maxTargetLimit = histBins * histBinWidth

// Mode selects the buffer's own target policy and how long it holds its position waiting for
// a late packet (a policy set with SetTargetPolicy replaces the target, not the hold).
type Mode uint8

const (
	// ModeDefault is the default mode: DefaultPolicy (NetEqPolicy plus the cover the sender's
	// RED, FEC or DRED needs while packets are lost) and ModeNetEq's hold.
	ModeDefault Mode = iota
	// ModeNetEq is NetEq-like: NetEqPolicy (a quantile of the relative delay forgetting per
	// packet), a hold of twice the target (at least 100 ms). It knows nothing of the sender's
	// redundancy, as libwebrtc's NetEq.
	ModeNetEq
	// ModeTrack is the tracking receiver: TrackPolicy (a quantile of the relative delay
	// forgetting in time, and the sender's redundancy depth while packets are lost), a hold
	// of one target (at least 60 ms). See TrackPolicy.
	ModeTrack
)

// String names the mode.
func (m Mode) String() string {
	switch m {
	case ModeDefault:
		return "default"
	case ModeNetEq:
		return "neteq"
	case ModeTrack:
		return "track"
	}
	return fmt.Sprintf("Mode(%d)", m)
}

// Config configures a Buffer. The zero value is ready to use: every zero field takes the
// default named after it.
type Config struct {
	// FEC says Opus in-band FEC was negotiated (SDP useinbandfec=1): a lost frame is then
	// decoded from the next packet's FEC data when RED has no copy of it. Without it the buffer
	// goes from RED straight to PLC.
	FEC bool
	// DRED rebuilds a lost frame that neither RED nor FEC covers from the Deep REDundancy
	// (libopus 1.5) of the first packet after the gap already in the buffer, so any packet that
	// arrives within the buffer's delay can rebuild the frames before it. Needs
	// codec.Features().DRED (New fails with codec.ErrUnavailable otherwise); harmless when the
	// sender sends none (the frames are then concealed).
	DRED bool
	// DecoderComplexity is the Opus decoder complexity: 0 classic concealment,
	// codec.DecoderDeepPLC (5) Deep PLC, codec.DecoderLACE / DecoderNoLACE (6, 7) Deep PLC and
	// OSCE speech enhancement. Levels above 4 need libopus 1.5 with the feature (New fails with
	// codec.ErrUnavailable otherwise).
	DecoderComplexity int

	// Mode selects the target policy and the hold (zero: ModeDefault).
	Mode Mode

	// MinTarget and MaxTarget bound the target delay whatever the policy asks for. MinTarget
	// is also the floor that absorbs small reordering and clock noise. Zero means
	// DefaultMinTarget (20 ms) and DefaultMaxTarget (1 s); MaxTarget is at most 2 s.
	MinTarget, MaxTarget time.Duration
	// InitialTarget is the delay playout starts with, after the first packet arrives, before
	// the estimator has seen anything. Zero means DefaultInitialTarget (20 ms): start low, since concealment that waits for
	// late packets raises the delay at once when the link needs it, while bringing an initial
	// excess down takes stretching.
	InitialTarget time.Duration

	// Quantile is the fraction of packets the default target policy wants on time: the
	// target is this quantile of the relative arrival delay (0.5 to 0.999; zero means 0.95).
	Quantile float64
	// ForgetFactor is the per-packet forgetting factor of the delay histogram (0.9 to 0.9999;
	// zero means 0.995, a memory of about 200 packets, 4 s at 20 ms frames).
	ForgetFactor float64

	// MaxStretchRate bounds time-stretching of speech: samples removed or inserted are at most
	// this fraction of the samples played (0.01 to 0.5; zero means 0.10, a 10 % speed change).
	// Low-energy segments may be stretched four times as fast.
	MaxStretchRate float64
	// DecelerateFar lets the buffer stretch audio to reach a target more than decelReach
	// (20 ms) above its margin, as libwebrtc NetEq's preemptive expand does. Off (the default),
	// deceleration only covers small deficits (clock drift, small target moves) and a larger
	// rise is reached by holding the position at the next underrun, which the late packets
	// that raised the target cause anyway: stretching speech ahead of it warped time for no
	// audio gained (see decelReach for the figures). The bench's NetEq-like and tgvoip-like
	// baselines set it.
	DecelerateFar bool

	// Capacity is the number of packets (and RED copies) the buffer holds (16 to 4096; zero
	// means 256, 5 s of 20 ms frames). A packet arriving when all are taken is discarded.
	Capacity int
}

// withDefaults fills zero fields and validates the rest.
func (c Config) withDefaults() (Config, error) {
	if c.MinTarget == 0 {
		c.MinTarget = DefaultMinTarget
	}
	if c.MaxTarget == 0 {
		c.MaxTarget = DefaultMaxTarget
	}
	if c.InitialTarget == 0 {
		c.InitialTarget = DefaultInitialTarget
	}
	if c.Quantile == 0 {
		c.Quantile = DefaultQuantile
	}
	if c.ForgetFactor == 0 {
		c.ForgetFactor = DefaultForgetFactor
	}
	if c.MaxStretchRate == 0 {
		c.MaxStretchRate = DefaultMaxStretchRate
	}
	if c.Capacity == 0 {
		c.Capacity = DefaultCapacity
	}
	switch {
	case c.Mode > ModeTrack:
		return c, fmt.Errorf("%w: Mode %v (want default, neteq or track)", ErrConfig, c.Mode)
	case c.MinTarget < 0 || c.MinTarget > c.MaxTarget:
		return c, fmt.Errorf("%w: MinTarget %v (want 0 to MaxTarget %v)", ErrConfig, c.MinTarget, c.MaxTarget)
	case c.MaxTarget > maxTargetLimit:
		return c, fmt.Errorf("%w: MaxTarget %v (want at most %v)", ErrConfig, c.MaxTarget, maxTargetLimit)
	case c.InitialTarget < 0 || c.InitialTarget > c.MaxTarget:
		return c, fmt.Errorf("%w: InitialTarget %v (want 0 to MaxTarget %v)", ErrConfig, c.InitialTarget, c.MaxTarget)
	case !(c.Quantile >= 0.5 && c.Quantile <= 0.999):
		return c, fmt.Errorf("%w: Quantile %v (want 0.5 to 0.999)", ErrConfig, c.Quantile)
	case !(c.ForgetFactor >= 0.9 && c.ForgetFactor <= 0.9999):
		return c, fmt.Errorf("%w: ForgetFactor %v (want 0.9 to 0.9999)", ErrConfig, c.ForgetFactor)
	case !(c.MaxStretchRate >= 0.01 && c.MaxStretchRate <= 0.5):
		return c, fmt.Errorf("%w: MaxStretchRate %v (want 0.01 to 0.5)", ErrConfig, c.MaxStretchRate)
	case c.Capacity < 16 || c.Capacity > 4096:
		return c, fmt.Errorf("%w: Capacity %d (want 16 to 4096)", ErrConfig, c.Capacity)
	}
	return c, nil
}
