package codec

import (
	"fmt"
	"math"
	"time"

	"gopkg.in/hraban/opus.v2"
)

// Bandwidth is an Opus audio bandwidth limit.
type Bandwidth int

// Opus bandwidths. The zero value, BandwidthAuto, applies no limit (full band).
const (
	BandwidthAuto      Bandwidth = 0
	BandwidthNarrow    Bandwidth = Bandwidth(opus.Narrowband)    // 4 kHz
	BandwidthMedium    Bandwidth = Bandwidth(opus.Mediumband)    // 6 kHz
	BandwidthWide      Bandwidth = Bandwidth(opus.Wideband)      // 8 kHz
	BandwidthSuperWide Bandwidth = Bandwidth(opus.SuperWideband) // 12 kHz
	BandwidthFull      Bandwidth = Bandwidth(opus.Fullband)      // 20 kHz
)

// Bitrate limits accepted by Settings (Opus itself spans 6 to 510 kb/s).
const (
	MinBitrateBps = 6000
	MaxBitrateBps = 510000
)

// MaxPacketBytes is the largest Opus packet Parley produces or accepts (RFC 6716's 1275-byte
// frame limit).
const MaxPacketBytes = 1275

// Settings are the encoder parameters that may change between frames. The zero value is not
// valid (BitrateBps 0); DefaultSettings is the call default.
type Settings struct {
	BitrateBps   int       // target bitrate, MinBitrateBps..MaxBitrateBps
	Complexity   int       // 0 (fastest) to 10 (best)
	FEC          bool      // in-band forward error correction (LBRR)
	LossHint     float64   // expected packet loss fraction 0..1 given to the encoder; drives FEC strength
	DTX          bool      // discontinuous transmission: 1-2 byte packets during silence
	MaxBandwidth Bandwidth // audio bandwidth limit; BandwidthAuto for none
}

// DefaultSettings are the settings a call starts with: 32 kb/s, complexity 9, FEC with a 5 %
// loss hint, DTX on, full band.
func DefaultSettings() Settings {
	return Settings{BitrateBps: 32000, Complexity: 9, FEC: true, LossHint: 0.05, DTX: true}
}

// Validate reports the first setting out of range.
func (s Settings) Validate() error {
	switch {
	case s.BitrateBps < MinBitrateBps || s.BitrateBps > MaxBitrateBps:
		return fmt.Errorf("%w: BitrateBps %d (want %d to %d)", ErrSetting, s.BitrateBps, MinBitrateBps, MaxBitrateBps)
	case s.Complexity < 0 || s.Complexity > 10:
		return fmt.Errorf("%w: Complexity %d (want 0 to 10)", ErrSetting, s.Complexity)
	case !(s.LossHint >= 0 && s.LossHint <= 1): // also rejects NaN
		return fmt.Errorf("%w: LossHint %v (want a fraction 0 to 1)", ErrSetting, s.LossHint)
	}
	switch s.MaxBandwidth {
	case BandwidthAuto, BandwidthNarrow, BandwidthMedium, BandwidthWide, BandwidthSuperWide, BandwidthFull:
	default:
		return fmt.Errorf("%w: MaxBandwidth %d", ErrSetting, s.MaxBandwidth)
	}
	return nil
}

// Encoder encodes mono float32 frames to Opus packets. Its settings can change between frames
// without reallocation (Apply issues only the encoder controls that changed). Not safe for
// concurrent use.
type Encoder struct {
	enc      *opus.Encoder
	rateHz   int
	settings Settings
	frames   [4]int // valid frame lengths in samples: 10, 20, 40, 60 ms
}

// NewEncoder makes a VoIP-mode encoder for mono input at sampleRateHz (8000, 12000, 16000, 24000
// or 48000) with settings s.
func NewEncoder(sampleRateHz int, s Settings) (*Encoder, error) {
	if err := checkOpusRate(sampleRateHz); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	oe, err := opus.NewEncoder(sampleRateHz, 1, opus.AppVoIP)
	if err != nil {
		return nil, fmt.Errorf("%w: new encoder: %v", ErrOpus, err)
	}
	e := &Encoder{enc: oe, rateHz: sampleRateHz}
	for i, ms := range [...]int{10, 20, 40, 60} {
		e.frames[i] = sampleRateHz * ms / 1000
	}
	if err := e.applyAll(s); err != nil {
		return nil, err
	}
	return e, nil
}

// SampleRateHz is the input rate the encoder was made for.
func (e *Encoder) SampleRateHz() int { return e.rateHz }

// Settings returns the settings in force.
func (e *Encoder) Settings() Settings { return e.settings }

// Apply changes the settings for the frames that follow. Only changed values reach libopus; on
// error the settings in force are unchanged where libopus rejected them.
func (e *Encoder) Apply(s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	old := e.settings
	if s.BitrateBps != old.BitrateBps {
		if err := e.enc.SetBitrate(s.BitrateBps); err != nil {
			return fmt.Errorf("%w: set bitrate: %v", ErrOpus, err)
		}
	}
	if s.Complexity != old.Complexity {
		if err := e.enc.SetComplexity(s.Complexity); err != nil {
			return fmt.Errorf("%w: set complexity: %v", ErrOpus, err)
		}
	}
	if s.FEC != old.FEC {
		if err := e.enc.SetInBandFEC(s.FEC); err != nil {
			return fmt.Errorf("%w: set FEC: %v", ErrOpus, err)
		}
	}
	if lossPercent(s.LossHint) != lossPercent(old.LossHint) {
		if err := e.enc.SetPacketLossPerc(lossPercent(s.LossHint)); err != nil {
			return fmt.Errorf("%w: set loss hint: %v", ErrOpus, err)
		}
	}
	if s.DTX != old.DTX {
		if err := e.enc.SetDTX(s.DTX); err != nil {
			return fmt.Errorf("%w: set DTX: %v", ErrOpus, err)
		}
	}
	if s.MaxBandwidth != old.MaxBandwidth {
		bw := s.MaxBandwidth
		if bw == BandwidthAuto {
			bw = BandwidthFull
		}
		if err := e.enc.SetMaxBandwidth(opus.Bandwidth(bw)); err != nil {
			return fmt.Errorf("%w: set max bandwidth: %v", ErrOpus, err)
		}
	}
	e.settings = s
	return nil
}

// applyAll pushes every setting, whatever the encoder's libopus defaults are.
func (e *Encoder) applyAll(s Settings) error {
	e.settings = Settings{BitrateBps: -1, Complexity: -1, FEC: !s.FEC, LossHint: -1, DTX: !s.DTX, MaxBandwidth: -1}
	return e.Apply(s)
}

func lossPercent(f float64) int { return int(math.Round(f * 100)) }

// Encode encodes one frame of pcm (exactly 10, 20, 40 or 60 ms at the encoder's rate) into dst
// and returns the packet length. With DTX on, silent frames produce packets of 1 or 2 bytes,
// which a sender should not transmit (see Packetizer). dst should hold MaxPacketBytes; a smaller
// dst caps the packet size. Allocates nothing.
func (e *Encoder) Encode(pcm []float32, dst []byte) (int, error) {
	if !e.validFrame(len(pcm)) {
		return 0, fmt.Errorf("%w: %d samples at %d Hz (want 10, 20, 40 or 60 ms: %d, %d, %d or %d)",
			ErrFrameSize, len(pcm), e.rateHz, e.frames[0], e.frames[1], e.frames[2], e.frames[3])
	}
	if len(dst) == 0 {
		return 0, fmt.Errorf("%w: empty packet buffer", ErrBuffer)
	}
	if len(dst) > MaxPacketBytes {
		dst = dst[:MaxPacketBytes]
	}
	n, err := e.enc.EncodeFloat32(pcm, dst[:len(dst):len(dst)])
	if err != nil {
		return 0, fmt.Errorf("%w: encode: %v", ErrOpus, err)
	}
	return n, nil
}

// InDTX reports whether the last encoded frame was silence under DTX.
func (e *Encoder) InDTX() bool {
	in, err := e.enc.InDTX()
	return err == nil && in
}

func (e *Encoder) validFrame(n int) bool {
	return n == e.frames[0] || n == e.frames[1] || n == e.frames[2] || n == e.frames[3]
}

// FrameDuration is the duration of n samples at the encoder's rate.
func (e *Encoder) FrameDuration(n int) time.Duration {
	return time.Duration(n) * time.Second / time.Duration(e.rateHz)
}

// Decoder decodes Opus packets to mono float32 PCM, recovers a lost frame from the in-band FEC of
// the packet after it, and conceals losses (PLC). Not safe for concurrent use.
type Decoder struct {
	dec    *opus.Decoder
	rateHz int
}

// NewDecoder makes a mono decoder producing sampleRateHz output (8000, 12000, 16000, 24000 or
// 48000).
func NewDecoder(sampleRateHz int) (*Decoder, error) {
	if err := checkOpusRate(sampleRateHz); err != nil {
		return nil, err
	}
	od, err := opus.NewDecoder(sampleRateHz, 1)
	if err != nil {
		return nil, fmt.Errorf("%w: new decoder: %v", ErrOpus, err)
	}
	return &Decoder{dec: od, rateHz: sampleRateHz}, nil
}

// SampleRateHz is the output rate.
func (d *Decoder) SampleRateHz() int { return d.rateHz }

// Decode decodes packet into pcm and returns the number of samples written. pcm must have room
// for the packet's duration (120 ms, the Opus maximum, always suffices). Allocates nothing.
func (d *Decoder) Decode(packet []byte, pcm []float32) (int, error) {
	if len(packet) == 0 {
		return 0, fmt.Errorf("%w: empty packet (use DecodePLC for a lost one)", ErrOpus)
	}
	// hraban/opus takes the output length from cap(pcm): pin cap to len.
	n, err := d.dec.DecodeFloat32(packet, pcm[:len(pcm):len(pcm)])
	if err != nil {
		return 0, fmt.Errorf("%w: decode %d-byte packet: %v", ErrOpus, len(packet), err)
	}
	return n, nil
}

// DecodeFEC reconstructs the frame lost just before next from next's in-band FEC data, writing
// exactly len(pcm) samples (the lost frame's duration, a multiple of 2.5 ms). When next carries
// no FEC, libopus falls back to concealment. Allocates nothing.
func (d *Decoder) DecodeFEC(next []byte, pcm []float32) error {
	if err := d.checkConcealLen(len(pcm)); err != nil {
		return err
	}
	if len(next) == 0 {
		return fmt.Errorf("%w: empty packet for FEC", ErrOpus)
	}
	if err := d.dec.DecodeFECFloat32(next, pcm[:len(pcm):len(pcm)]); err != nil {
		return fmt.Errorf("%w: FEC decode: %v", ErrOpus, err)
	}
	return nil
}

// DecodePLC conceals one lost frame, writing exactly len(pcm) samples (a multiple of 2.5 ms).
// Allocates nothing.
func (d *Decoder) DecodePLC(pcm []float32) error {
	if err := d.checkConcealLen(len(pcm)); err != nil {
		return err
	}
	if err := d.dec.DecodePLCFloat32(pcm[:len(pcm):len(pcm)]); err != nil {
		return fmt.Errorf("%w: PLC: %v", ErrOpus, err)
	}
	return nil
}

func (d *Decoder) checkConcealLen(n int) error {
	step := d.rateHz / 400 // 2.5 ms
	if n <= 0 || n%step != 0 || n > d.rateHz*120/1000 {
		return fmt.Errorf("%w: %d samples at %d Hz (want a multiple of 2.5 ms, at most 120 ms)", ErrFrameSize, n, d.rateHz)
	}
	return nil
}
