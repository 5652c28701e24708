package codec

import "fmt"

// DRED reads the Deep REDundancy (libopus 1.5) carried by received packets: each packet of a
// sender with Settings.DRED > 0 holds a compressed description of up to a second of the audio
// before it, so a receiver that lost a burst of packets can rebuild them from the first packet
// after the burst (or any later one still within reach). Parse a packet, then call
// Decoder.DecodeDRED once per lost frame, oldest first. The zero value is not usable; use
// NewDRED. Not safe for concurrent use. Parse and DecodeDRED allocate nothing.
type DRED struct {
	st     dredState
	rateHz int
	reach  int // samples before the parsed packet that DRED covers; 0: none
}

// NewDRED makes a DRED reader for a decoder running at sampleRateHz. It fails with
// ErrUnavailable when the linked libopus has no DRED (see Features).
func NewDRED(sampleRateHz int) (*DRED, error) {
	if err := checkOpusRate(sampleRateHz); err != nil {
		return nil, err
	}
	if !Features().DRED {
		return nil, fmt.Errorf("%w: DRED (%s)", ErrUnavailable, Features())
	}
	st, err := newDREDState()
	if err != nil {
		return nil, errorf("new DRED decoder", err)
	}
	return &DRED{st: st, rateHz: sampleRateHz}, nil
}

// Parse reads packet's DRED data, decoding at most maxSamples (at the DRED's sample rate) of the
// history before it, plus DRED's 40 ms granularity: pass the span actually lost, since decoding
// costs CPU in proportion. It
// returns how many samples before the packet's first sample DRED reaches (0 when packet carries
// none, which is not an error). A packet that is not valid Opus fails with ErrOpus. The parsed
// data replaces the previous packet's.
func (r *DRED) Parse(packet []byte, maxSamples int) (int, error) {
	r.reach = 0
	if len(packet) == 0 {
		return 0, fmt.Errorf("%w: empty packet for DRED", ErrOpus)
	}
	if len(packet) > MaxPacketBytes*6 { // 120 ms of 20 ms frames at most
		return 0, fmt.Errorf("%w: %d-byte packet for DRED", ErrOpus, len(packet))
	}
	if maxSamples <= 0 {
		return 0, nil
	}
	// libopus decodes DRED in 40 ms chunks behind a few ms of encoder look-ahead: ask for one
	// chunk more so the oldest lost frame is covered. It keeps at most 1.04 s.
	maxSamples = min(maxSamples+r.rateHz/25, r.rateHz*104/100)
	n, err := r.st.parse(packet, maxSamples, r.rateHz)
	if err != nil {
		return 0, errorf("DRED parse", err)
	}
	// A malformed packet can claim DRED from seconds back (the fuzz test found one): never report
	// more than was decoded.
	r.reach = min(n, maxSamples)
	return r.reach, nil
}

// Reach is what the last Parse returned: how many samples before its packet DRED covers.
func (r *DRED) Reach() int { return r.reach }

// DecodeDRED rebuilds len(pcm) samples (a multiple of 2.5 ms) of a lost frame that began offset
// samples before the first sample of the packet r last parsed (for the frame just before that
// packet, offset = len(pcm); two frames before, 2*len(pcm), and so on). Decode lost frames
// oldest first so the decoder's state runs forward. Fails with ErrNoDRED when the parsed data does
// not reach back to offset; the caller then conceals (DecodePLC). The synthesis is Deep PLC's,
// steered by the DRED features, so it sounds best at complexity DecoderDeepPLC or above.
// Allocates nothing.
func (d *Decoder) DecodeDRED(r *DRED, offset int, pcm []float32) error {
	if err := d.checkConcealLen(len(pcm)); err != nil {
		return err
	}
	if r == nil || r.rateHz != d.rateHz {
		return fmt.Errorf("%w: DRED reader missing or at another sample rate", ErrSetting)
	}
	if offset <= 0 || offset > r.reach {
		return ErrNoDRED // unwrapped: a receiver probes this per lost frame, so it must not allocate
	}
	if _, err := d.dec.dredDecode(r.st.ptr(), offset, pcm); err != nil {
		return errorf("DRED decode", err)
	}
	return nil
}
