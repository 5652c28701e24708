package engine

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/pion/transport/v5"

	"github.com/parley-voice/parley/adapt"
	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/engine/jitter"
	"github.com/parley-voice/parley/engine/media"
)

// Policy says which network paths a call may use.
type Policy int

const (
	// PolicyAuto (the zero value) prefers a direct path (host or server-reflexive candidates)
	// and falls back to a TURN relay when no direct pair works within Config.RelayWait.
	PolicyAuto Policy = iota
	// PolicyRelay uses only TURN relay candidates: this side gathers no host or
	// server-reflexive candidates, so the peer never learns its addresses.
	PolicyRelay
	// PolicyDirect never uses a relay: TURN URLs are ignored.
	PolicyDirect
)

// String returns "auto", "relay" or "direct".
func (p Policy) String() string {
	switch p {
	case PolicyAuto:
		return "auto"
	case PolicyRelay:
		return "relay"
	case PolicyDirect:
		return "direct"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// ICEServer is one STUN or TURN server: URLs like "stun:host:3478" or
// "turn:host:3478?transport=udp", with the credential TURN needs (coturn REST form, as the
// signaling server hands out).
type ICEServer struct {
	URLs       []string
	Username   string
	Credential string
}

// Config configures one call. The zero value works: an ephemeral identity, the real network,
// no STUN/TURN servers (host candidates only), policy auto, silence sent, audio received
// discarded, 20 ms frames at 32 kb/s with FEC and DTX to start with, send-side network adaptation on.
// Fields are read once, when the call starts; the Config may be reused.
type Config struct {
	// Logger receives the call's events and pion's warnings. Nil discards.
	Logger *slog.Logger

	// Identity signs this side's agreement messages. Nil generates an ephemeral key (the peer
	// then cannot pin it). The engine never wipes it.
	Identity *e2ee.IdentityKey
	// PeerIdentity, if non-zero, is the identity key the peer must present; any other ends the
	// call with ErrProtocol. Zero accepts any key (check Call.PeerIdentity and the SAS).
	PeerIdentity e2ee.PublicIdentity
	// Store, if set, is the key-continuity store: the peer's key is observed under PeerName
	// when the agreement completes, and Call.Verify marks it verified.
	Store    *e2ee.Store
	PeerName string

	// Net is the network pion uses (a pion vnet, an internal/netem Net, ...). Nil means the
	// real network.
	Net transport.Net
	// ICEServers are the STUN/TURN servers. Nil means none: only host candidates.
	ICEServers []ICEServer
	// Policy selects the paths the call may use.
	Policy Policy
	// RelayWait is how long ICE waits for a direct pair before accepting a relay pair, under
	// PolicyAuto. Zero means 500 ms (pion's own default is 2 s, too slow for call setup).
	RelayWait time.Duration
	// IncludeLoopback gathers candidates on loopback interfaces, for calls within one machine
	// without any other interface.
	IncludeLoopback bool

	// Source is the audio to send (48 kHz mono). Nil sends silence.
	Source audio.Source
	// Sink receives the audio played out (48 kHz mono, 10 ms chunks). Nil discards.
	Sink audio.Sink

	// EchoCancel, NoiseSuppress and GainControl switch the microphone processing between the
	// Source and the encoder (engine/audio/apm over Debian's webrtc-audio-processing: the
	// echo canceller takes what the Sink plays as its reference and finds the playout-to-capture
	// delay itself, starting from the devices' reported latencies; the noise suppressor removes
	// stationary noise; the gain control levels speech digitally, with a limiter). SwitchAuto,
	// the zero value, turns each on when the Source is a live device (audio.IsLive: a
	// microphone) and off otherwise (a WAV file, a tone, silence). Echo cancellation needs the
	// Sink to be what plays into that microphone. Stats.Processing shows the state.
	EchoCancel, NoiseSuppress, GainControl Switch

	// Frame is the Opus frame duration: 10, 20, 40 or 60 ms. Zero means 20 ms.
	Frame time.Duration
	// BitrateBps is the Opus target bitrate, 6000 to 510000. Zero means 32000.
	BitrateBps int
	// NoDTX disables discontinuous transmission (by default silent frames are not sent).
	NoDTX bool
	// NoFEC disables Opus in-band FEC.
	NoFEC bool
	// REDDepth is the number of earlier frames repeated in each packet (RFC 2198 RED), 0 to
	// codec.MaxREDRedundancy. Zero sends plain Opus.
	REDDepth int
	// DecoderComplexity selects how the receive side conceals and enhances (libopus 1.5). Zero
	// means the best the linked libopus has: codec.DecoderNoLACE (Deep PLC and NoLACE speech
	// enhancement) with OSCE, codec.DecoderDeepPLC with Deep PLC only, classic concealment
	// otherwise (codec.Features says which). 1 to 4 force classic concealment; 5 to 10 ask for
	// that level, and the call does not start (ErrConfig wrapping codec.ErrUnavailable) when
	// libopus lacks it. Whatever the level, lost frames are rebuilt from the peer's DRED when
	// libopus has DRED; Stats.Receive counts them (FramesRecoveredDRED).
	DecoderComplexity int

	// JitterPolicy sets the receive jitter buffer's target delay from its estimator (an
	// adaptation layer's hook). Nil means jitter.DefaultPolicy, or the adaptation's target with
	// AdaptJitter.
	JitterPolicy jitter.TargetPolicy
	// JitterMode is the receive jitter buffer's own target policy and hold (jitter.Mode; zero:
	// jitter.ModeDefault, the NetEq-like delay quantile plus the cover the peer's redundancy
	// needs). jitter.ModeTrack is the tracking receiver
	// measured by `parley bench adapt -strategies adapt+neteq,adapt+track`; it is not the
	// default because it did not win there (README, Honest limitations).
	JitterMode jitter.Mode

	// NoAdapt turns the send-side network adaptation off: the call keeps Frame, BitrateBps,
	// FEC and REDDepth as configured (Call.Tune still changes them). By default (false) it is
	// on: every 500 ms the adapt controller, fed with the peer's per-packet arrival feedback
	// and the RTT, picks bitrate (6–64 kb/s), frame (20/40/60 ms), FEC and loss hint, and RED
	// depth (with primary or low-rate copies), starting from the configured values. Stats.Adapt
	// shows it. Arrival feedback is sent to the peer either way, so a peer that adapts can.
	NoAdapt bool
	// AdaptJitter lets the receive-side adapt controller, fed with local arrivals, set the
	// jitter-buffer target every 500 ms (unless JitterPolicy is set or NoAdapt). It is off by
	// default: on live calls its target (the rule ladder's: the 5 s delay p95 plus 10 ms,
	// at least 40 ms, coming down by 10 ms per decision) measured 60–140 ms of mean buffer
	// delay and 0.3–0.9 lower PESQ-WB than jitter.DefaultPolicy's 40–50 ms on a clean but
	// loaded machine (TestSpeechQuality), and the model-driven target more.
	AdaptJitter bool
	// AdaptPolicy configures the adaptation's policy (adapt.PolicyConfig; zero fields take
	// adapt's defaults). Its Initial settings, when zero, come from this Config: Frame (10 ms
	// becomes 20 ms), BitrateBps (clamped to 6–64 kb/s), FEC, REDDepth (at most 3). Its DRED is
	// set when the linked libopus has DRED (codec.Features).
	AdaptPolicy adapt.PolicyConfig
	// SendPolicy, when set, is the send-side adaptation instead of the default
	// (media.AdaptPolicy over AdaptPolicy): any media.Policy, such as a learned one or a
	// bench baseline. The call uses it from its start (it must be fresh) and serialises every
	// call to it; the sender starts with this Config's settings, not Policy.Initial. Stats.Adapt
	// shows its decided settings; the model's figures only when it has a State() method like
	// media.AdaptPolicy's. Ignored with NoAdapt.
	SendPolicy media.Policy

	// SetupTimeout bounds the whole setup, ringing included, from Dial or Answer to connected.
	// Zero means 60 s.
	SetupTimeout time.Duration
	// DisconnectTimeout is how long a call stays "reconnecting" without anything from the
	// peer — no packet, and no message over signaling (where ICE restarts keep both sides
	// talking while the path is lost) — before it ends with ReasonPeerLost. Zero means 8 s.
	DisconnectTimeout time.Duration
	// HangupAfterSourceEnds, if positive, hangs the call up (as Call.Hangup does: the peer
	// hears a hang-up, the call ends with ReasonHangup) that long after the Source ended (io.EOF
	// or an error), so that a file or a synthesized prompt ends the call once the last of it
	// has been played at the far end; about a second is enough on most paths. Zero never hangs
	// up for it: silence is sent instead, and Stats().Send.SourceEnded reports it.
	HangupAfterSourceEnds time.Duration

	// Rand supplies the key agreement's randomness and RTP's random initial values. Nil means
	// crypto/rand. Only tests set it.
	Rand io.Reader
	// Now is the clock: event times, the jitter buffer's arrival and playout times, and the
	// frame counts the send and playout loops catch up to (they wake on real timers). Nil means
	// time.Now.
	Now func() time.Time
}

// settings is a Config with defaults applied and values checked.
type settings struct {
	Config
	frameSamples int
	codec        codec.Settings
}

func (c *Config) resolve() (*settings, error) {
	s := &settings{Config: *c}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Frame == 0 {
		s.Frame = 20 * time.Millisecond
	}
	n, err := codec.FrameSamples(audio.SampleRateHz, s.Frame)
	if err != nil {
		return nil, fmt.Errorf("%w: Frame %v: must be 10, 20, 40 or 60 ms", ErrConfig, s.Frame)
	}
	s.frameSamples = n
	s.codec = codec.DefaultSettings()
	if s.BitrateBps != 0 {
		s.codec.BitrateBps = s.BitrateBps
	}
	s.codec.DTX = !s.NoDTX
	s.codec.FEC = !s.NoFEC
	if err := s.codec.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if s.REDDepth < 0 || s.REDDepth > codec.MaxREDRedundancy {
		return nil, fmt.Errorf("%w: REDDepth %d: want 0..%d", ErrConfig, s.REDDepth, codec.MaxREDRedundancy)
	}
	if s.DecoderComplexity < 0 || s.DecoderComplexity > 10 {
		return nil, fmt.Errorf("%w: DecoderComplexity %d: want 0..10", ErrConfig, s.DecoderComplexity)
	}
	if f := codec.Features(); s.DecoderComplexity == 0 {
		s.DecoderComplexity = f.BestDecoderComplexity()
	} else if s.DecoderComplexity >= codec.DecoderLACE && !f.OSCE || s.DecoderComplexity >= codec.DecoderDeepPLC && !f.DeepPLC {
		return nil, fmt.Errorf("%w: DecoderComplexity %d: %w (%s)", ErrConfig, s.DecoderComplexity, codec.ErrUnavailable, f)
	}
	if s.Policy < PolicyAuto || s.Policy > PolicyDirect {
		return nil, fmt.Errorf("%w: unknown Policy %d", ErrConfig, int(s.Policy))
	}
	if s.HangupAfterSourceEnds < 0 {
		return nil, fmt.Errorf("%w: HangupAfterSourceEnds %v is negative", ErrConfig, s.HangupAfterSourceEnds)
	}
	if s.RelayWait < 0 || s.SetupTimeout < 0 || s.DisconnectTimeout < 0 {
		return nil, fmt.Errorf("%w: negative duration", ErrConfig)
	}
	if s.RelayWait == 0 {
		s.RelayWait = 500 * time.Millisecond
	}
	if s.SetupTimeout == 0 {
		s.SetupTimeout = 60 * time.Second
	}
	if s.DisconnectTimeout == 0 {
		s.DisconnectTimeout = 8 * time.Second
	}
	for _, srv := range s.ICEServers {
		for _, u := range srv.URLs {
			if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") && !strings.HasPrefix(u, "stuns:") {
				return nil, fmt.Errorf("%w: ICE server URL %q is not stun:, stuns:, turn: or turns:", ErrConfig, u)
			}
		}
	}
	if s.Source == nil {
		s.Source = audio.Silence{}
	}
	if s.Sink == nil {
		s.Sink = audio.Silence{}
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Identity == nil {
		k, err := e2ee.GenerateIdentityKey(s.Rand)
		if err != nil {
			return nil, fmt.Errorf("%w: identity: %w", ErrConfig, err)
		}
		s.Identity = k
	}
	return s, nil
}
