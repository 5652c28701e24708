package codec

import (
	"fmt"
	"math"
	"time"
)

// Bandwidth is an Opus audio bandwidth limit.
type Bandwidth int

// Opus bandwidths. The zero value, BandwidthAuto, applies no limit (full band).
const (
	BandwidthAuto      Bandwidth = 0
	BandwidthNarrow    Bandwidth = opusBandNarrow    // 4 kHz
	BandwidthMedium    Bandwidth = opusBandMedium    // 6 kHz
	BandwidthWide      Bandwidth = opusBandWide      // 8 kHz
	BandwidthSuperWide Bandwidth = opusBandSuperWide // 12 kHz
	BandwidthFull      Bandwidth = opusBandFull      // 20 kHz
)

// Bitrate limits accepted by Settings (Opus itself spans 6 to 510 kb/s).
const (
	MinBitrateBps = 6000
	MaxBitrateBps = 510000
)

// MaxDRED is the longest DRED history an encoder can be asked to carry (libopus 1.5 accepts up
// to 1.04 s; Parley offers whole seconds and below, in 10 ms steps).
const MaxDRED = time.Second

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
	// DRED is how much audio history each packet carries as Deep REDundancy (libopus 1.5):
	// 0 (off) to MaxDRED, rounded to 10 ms. Its bits come out of BitrateBps and grow with
	// LossHint (none at LossHint 0). Needs Features().DRED; Apply fails with ErrUnavailable
	// otherwise.
	DRED time.Duration
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
	case s.DRED < 0 || s.DRED > MaxDRED:
		return fmt.Errorf("%w: DRED %v (want 0 to %v)", ErrSetting, s.DRED, MaxDRED)
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
	enc      encState
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
	oe, err := newEncState(sampleRateHz)
	if err != nil {
		return nil, errorf("new encoder", err)
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
		if err := e.enc.set(reqSetBitrate, s.BitrateBps); err != nil {
			return errorf("set bitrate", err)
		}
	}
	if s.Complexity != old.Complexity {
		if err := e.enc.set(reqSetComplexity, s.Complexity); err != nil {
			return errorf("set complexity", err)
		}
	}
	if s.FEC != old.FEC {
		if err := e.enc.set(reqSetInbandFEC, b2i(s.FEC)); err != nil {
			return errorf("set FEC", err)
		}
	}
	if lossPercent(s.LossHint) != lossPercent(old.LossHint) {
		if err := e.enc.set(reqSetPacketLoss, lossPercent(s.LossHint)); err != nil {
			return errorf("set loss hint", err)
		}
	}
	if s.DTX != old.DTX {
		if err := e.enc.set(reqSetDTX, b2i(s.DTX)); err != nil {
			return errorf("set DTX", err)
		}
	}
	if s.MaxBandwidth != old.MaxBandwidth {
		bw := s.MaxBandwidth
		if bw == BandwidthAuto {
			bw = BandwidthFull
		}
		if err := e.enc.set(reqSetMaxBandwidth, int(bw)); err != nil {
			return errorf("set max bandwidth", err)
		}
	}
	if dredUnits(s.DRED) != dredUnits(old.DRED) {
		if s.DRED > 0 && !Features().DRED {
			return fmt.Errorf("%w: DRED (%s)", ErrUnavailable, Features())
		}
		if err := e.enc.set(reqSetDREDDuration, dredUnits(s.DRED)); err != nil && s.DRED > 0 {
			return errorf("set DRED duration", err)
		}
	}
	e.settings = s
	return nil
}

// applyAll pushes every setting, whatever the encoder's libopus defaults are.
func (e *Encoder) applyAll(s Settings) error {
	e.settings = Settings{BitrateBps: -1, Complexity: -1, FEC: !s.FEC, LossHint: -1, DTX: !s.DTX, MaxBandwidth: -1, DRED: -1}
	return e.Apply(s)
}

func lossPercent(f float64) int { return int(math.Round(f * 100)) }

// dredUnits is a DRED duration in libopus's 10 ms units (-1 for the "unset" marker).
func dredUnits(d time.Duration) int {
	if d < 0 {
		return -1
	}
	return int((d + 5*time.Millisecond) / (10 * time.Millisecond))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

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
	n, err := e.enc.encode(pcm, dst)
	if err != nil {
		return 0, errorf("encode", err)
	}
	return n, nil
}

// InDTX reports whether the last encoded frame was silence under DTX.
func (e *Encoder) InDTX() bool {
	in, err := e.enc.get(reqGetInDTX)
	return err == nil && in != 0
}

func (e *Encoder) validFrame(n int) bool {
	return n == e.frames[0] || n == e.frames[1] || n == e.frames[2] || n == e.frames[3]
}

// FrameDuration is the duration of n samples at the encoder's rate.
func (e *Encoder) FrameDuration(n int) time.Duration {
	return time.Duration(n) * time.Second / time.Duration(e.rateHz)
}

// Decoder decodes Opus packets to mono float32 PCM, recovers a lost frame from the in-band FEC of
// the packet after it or from the DRED data of a later packet, and conceals losses (PLC; Deep PLC
// and OSCE enhancement at higher complexity). The zero value is not usable; use NewDecoder. Not
// safe for concurrent use.
type Decoder struct {
	dec        decState
	rateHz     int
	complexity int
}

// Decoder complexity levels (libopus 1.5). Each level includes the ones below it. At
// DecoderDeepPLC and above, lost frames are synthesised by a neural vocoder instead of the
// classic pitch-repeating concealment; LACE and NoLACE are OSCE's two neural post-filters for
// SILK (speech) frames at low bitrates, NoLACE the heavier and better.
const (
	DecoderClassic = 0 // classic PLC, no enhancement: what libopus 1.3 does
	DecoderDeepPLC = 5 // Deep PLC (needs Features().DeepPLC)
	DecoderLACE    = 6 // Deep PLC + LACE (needs Features().OSCE)
	DecoderNoLACE  = 7 // Deep PLC + NoLACE (needs Features().OSCE)
)

// NewDecoder makes a mono decoder producing sampleRateHz output (8000, 12000, 16000, 24000 or
// 48000) at complexity DecoderClassic.
func NewDecoder(sampleRateHz int) (*Decoder, error) {
	if err := checkOpusRate(sampleRateHz); err != nil {
		return nil, err
	}
	od, err := newDecState(sampleRateHz)
	if err != nil {
		return nil, errorf("new decoder", err)
	}
	return &Decoder{dec: od, rateHz: sampleRateHz}, nil
}

// SampleRateHz is the output rate.
func (d *Decoder) SampleRateHz() int { return d.rateHz }

// Complexity is the decoder complexity in force (0 to 10).
func (d *Decoder) Complexity() int { return d.complexity }

// SetComplexity sets the decoder complexity, 0 to 10 (see DecoderDeepPLC, DecoderLACE,
// DecoderNoLACE). Levels whose feature this libopus lacks fail with ErrUnavailable, so a caller
// never believes it runs Deep PLC or OSCE when it does not; 0 to 4 always succeed. May be called
// between any two frames.
func (d *Decoder) SetComplexity(c int) error {
	if c < 0 || c > 10 {
		return fmt.Errorf("%w: decoder complexity %d (want 0 to 10)", ErrSetting, c)
	}
	f := Features()
	switch {
	case c >= DecoderLACE && !f.OSCE:
		return fmt.Errorf("%w: decoder complexity %d needs OSCE (%s)", ErrUnavailable, c, f)
	case c >= DecoderDeepPLC && !f.DeepPLC:
		return fmt.Errorf("%w: decoder complexity %d needs Deep PLC (%s)", ErrUnavailable, c, f)
	}
	if err := d.dec.set(reqSetComplexity, c); err != nil {
		if c < DecoderDeepPLC { // libopus before 1.5 has no decoder complexity: 0-4 mean classic.
			d.complexity = c
			return nil
		}
		return errorf("set decoder complexity", err)
	}
	d.complexity = c
	return nil
}

// Decode decodes packet into pcm and returns the number of samples written. pcm must have room
// for the packet's duration (120 ms, the Opus maximum, always suffices). Allocates nothing.
func (d *Decoder) Decode(packet []byte, pcm []float32) (int, error) {
	if len(packet) == 0 {
		return 0, fmt.Errorf("%w: empty packet (use DecodePLC for a lost one)", ErrOpus)
	}
	if len(pcm) == 0 {
		return 0, fmt.Errorf("%w: empty PCM buffer", ErrBuffer)
	}
	n, err := d.dec.decode(packet, pcm, false)
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
	if _, err := d.dec.decode(next, pcm, true); err != nil {
		return errorf("FEC decode", err)
	}
	return nil
}

// DecodePLC conceals one lost frame, writing exactly len(pcm) samples (a multiple of 2.5 ms).
// At complexity DecoderDeepPLC and above this is Deep PLC. Allocates nothing.
func (d *Decoder) DecodePLC(pcm []float32) error {
	if err := d.checkConcealLen(len(pcm)); err != nil {
		return err
	}
	if _, err := d.dec.decode(nil, pcm, false); err != nil {
		return errorf("PLC", err)
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
