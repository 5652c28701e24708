package media

import (
	"fmt"
	"time"

	"github.com/pion/rtp"

	"github.com/parley-voice/parley/codec"
)

// PacketWriter is where the send step puts its packets: the engine's pion track, the bench's
// emulated link. Implementations set what the sender does not know (version, SSRC, payload
// type).
type PacketWriter interface {
	// WritePacket sends one RTP packet: h carries the sequence number, timestamp and marker;
	// red says payload is a RED (RFC 2198) payload rather than plain Opus. h and payload are
	// the sender's scratch, valid only during the call (copy what you keep). It returns nil
	// when the packet went out, ErrNotSent (or an error wrapping it) when it was not sent for
	// a reason that is not a failure, any other error when sending failed.
	WritePacket(h *rtp.Header, red bool, payload []byte) error
	// REDPayloadType returns the payload type that names Opus inside RED blocks, and whether
	// RED packets may be written now (RED negotiated).
	REDPayloadType() (pt uint8, ok bool)
}

// SenderConfig configures a Sender.
type SenderConfig struct {
	// Codec is the encoder's fixed part: complexity, DTX and bandwidth limit, as given (the
	// zero value is complexity 0, no DTX, full band; a call uses codec.DefaultSettings). Its
	// bitrate, FEC and loss hint are ignored: Settings' apply.
	Codec codec.Settings
	// Settings are the settings to start with; they must be valid.
	Settings Settings
	// SampleRateHz is the rate of the audio Send takes (8000, 12000, 16000, 24000 or 48000);
	// 0 means SampleRateHz, what a call runs at. RTP timestamps stay on Opus's 48 kHz clock.
	SampleRateHz int
	// InitialSequence and InitialTimestamp are the first RTP sequence number and timestamp
	// (random in a call, RFC 3550).
	InitialSequence  uint16
	InitialTimestamp uint32
}

// Sent says what one Send did.
type Sent struct {
	Frame   time.Duration // the frame's duration
	Encoded bool          // the encoder took the frame
	// Packet is set when the frame went out as a packet; otherwise the encoder's output was
	// silence under DTX (DTX set) or the writer did not send it.
	Packet, DTX    bool
	SequenceNumber uint16
	Timestamp      uint32
	PayloadBytes   int  // RTP payload bytes (Opus, or RED with its copies)
	RED            bool // the payload is RED
	// WireBytes is PayloadBytes plus OverheadBytes: the packet's size on the wire.
	WireBytes int
}

// Sender is the send step: a frame of audio → Opus encoder → DTX packetizer → RED →
// PacketWriter. Settings change between frames with Apply. Not safe for concurrent use; Send
// allocates nothing (a change of settings may, once: a RED packer, the low-rate encoder).
type Sender struct {
	enc    *codec.Encoder
	rate   int // Hz
	base   codec.Settings
	set    Settings
	pkt    codec.Packetizer
	red    *codec.Redundancy // nil without RED; redPrimary or redLow
	opus   []byte
	packet []byte
	hdr    rtp.Header

	// redPrimary repeats the primary encoding; redLow packs copies from lowEnc. Made on first
	// use and kept (with their history) across changes of depth.
	redPrimary, redLow *codec.Redundancy
	lowEnc             *codec.Encoder
}

// NewSender returns a sender with cfg's settings.
func NewSender(cfg SenderConfig) (*Sender, error) {
	if err := cfg.Settings.Validate(); err != nil {
		return nil, err
	}
	base := cfg.Codec
	cs := base
	cs.BitrateBps, cs.FEC, cs.LossHint, cs.DRED = cfg.Settings.BitrateBps, cfg.Settings.FEC, cfg.Settings.LossHint, cfg.Settings.DRED
	rate := cfg.SampleRateHz
	if rate == 0 {
		rate = SampleRateHz
	}
	enc, err := codec.NewEncoder(rate, cs)
	if err != nil {
		return nil, fmt.Errorf("%w: encoder: %w", ErrConfig, err)
	}
	s := &Sender{
		enc: enc, rate: rate, base: base,
		opus:   make([]byte, codec.MaxPacketBytes),
		packet: make([]byte, 0, (codec.MaxREDRedundancy+1)*codec.MaxPacketBytes+16),
	}
	s.pkt.InitialSequence, s.pkt.InitialTimestamp = cfg.InitialSequence, cfg.InitialTimestamp
	s.set = cfg.Settings
	s.set.REDDepth = -1 // force setRED
	if err := s.setRED(cfg.Settings.REDDepth, cfg.Settings.REDLowRateBps); err != nil {
		return nil, err
	}
	return s, nil
}

// Settings returns the settings in force.
func (s *Sender) Settings() Settings { return s.set }

// FrameSamples is the number of samples (at the sender's rate) the next Send takes.
func (s *Sender) FrameSamples() int { return int(s.set.Frame * time.Duration(s.rate) / time.Second) }

// Apply changes the settings from the next frame on. An invalid Settings returns ErrConfig and
// changes nothing; applying the settings in force costs nothing.
func (s *Sender) Apply(set Settings) error {
	if set == s.set {
		return nil
	}
	if err := set.Validate(); err != nil {
		return err
	}
	cs := s.enc.Settings()
	cs.BitrateBps, cs.FEC, cs.LossHint, cs.DRED = set.BitrateBps, set.FEC, set.LossHint, set.DRED
	if err := s.enc.Apply(cs); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s.set.BitrateBps, s.set.FEC, s.set.LossHint = set.BitrateBps, set.FEC, set.LossHint
	s.set.Frame, s.set.DRED = set.Frame, set.DRED
	return s.setRED(set.REDDepth, set.REDLowRateBps)
}

// setRED selects the RED packer for depth copies, repeats of the primary (lowBps 0) or a
// low-rate encoding; depth 0 sends plain Opus.
func (s *Sender) setRED(depth, lowBps int) error {
	if depth == s.set.REDDepth && lowBps == s.set.REDLowRateBps {
		return nil
	}
	s.red, s.set.REDDepth, s.set.REDLowRateBps = nil, 0, 0
	if depth == 0 {
		return nil
	}
	if lowBps == 0 {
		if s.redPrimary == nil {
			r, err := codec.NewRedundancy(depth, nil)
			if err != nil {
				return fmt.Errorf("%w: RED: %w", ErrConfig, err)
			}
			s.redPrimary = r
		}
		s.red = s.redPrimary
	} else {
		if s.redLow == nil {
			low, err := codec.NewEncoder(s.rate, codec.Settings{
				BitrateBps: lowBps, Complexity: s.base.Complexity, MaxBandwidth: codec.BandwidthAuto,
			})
			if err != nil {
				return fmt.Errorf("%w: low-rate RED encoder: %w", ErrConfig, err)
			}
			r, err := codec.NewRedundancy(depth, low)
			if err != nil {
				return fmt.Errorf("%w: RED: %w", ErrConfig, err)
			}
			s.lowEnc, s.redLow = low, r
		}
		ls := s.lowEnc.Settings()
		ls.BitrateBps = lowBps
		if err := s.lowEnc.Apply(ls); err != nil {
			return fmt.Errorf("%w: low-rate RED encoder: %w", ErrConfig, err)
		}
		s.red = s.redLow
	}
	if err := s.red.SetDepth(depth); err != nil {
		s.red = nil
		return fmt.Errorf("%w: RED: %w", ErrConfig, err)
	}
	s.set.REDDepth, s.set.REDLowRateBps = depth, lowBps
	return nil
}

// Send encodes pcm (FrameSamples samples at the sender's rate) and writes the packet to w, unless
// the encoder's output is DTX silence. The error is the encoder's or the writer's (an
// ErrNotSent from the writer is not returned: Sent.Packet is then false). It allocates nothing.
func (s *Sender) Send(pcm []float32, w PacketWriter) (Sent, error) {
	frame := s.set.Frame
	out := Sent{Frame: frame}
	if len(pcm) != s.FrameSamples() {
		return out, fmt.Errorf("%w: frame of %d samples, want %d", ErrConfig, len(pcm), s.FrameSamples())
	}
	n, err := s.enc.Encode(pcm, s.opus)
	if err != nil {
		return out, err
	}
	out.Encoded = true
	h, send := s.pkt.Next(n, frame)
	if !send {
		out.DTX = true
		return out, nil
	}
	s.hdr.SequenceNumber, s.hdr.Timestamp, s.hdr.Marker = h.SequenceNumber, h.Timestamp, h.Marker
	s.hdr.Extension, s.hdr.Extensions = false, s.hdr.Extensions[:0]
	payload, red := s.opus[:n], false
	if s.red != nil {
		if pt, ok := w.REDPayloadType(); ok {
			if p, err := s.red.Pack(s.packet[:0], pt, h.Timestamp, s.opus[:n], pcm); err == nil {
				payload, red = p, true
			}
		}
	}
	out.SequenceNumber, out.Timestamp, out.RED = h.SequenceNumber, h.Timestamp, red
	out.PayloadBytes, out.WireBytes = len(payload), len(payload)+OverheadBytes
	if err := w.WritePacket(&s.hdr, red, payload); err != nil {
		if isNotSent(err) {
			return out, nil
		}
		return out, err
	}
	out.Packet = true
	return out, nil
}
