package engine

import (
	"strings"
	"sync"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/parley-voice/parley/engine/media"
)

// track is the call's outgoing audio track: a TrackLocal of our own (rather than
// TrackLocalStaticRTP) so that one stream can carry both plain Opus and RED packets with the
// payload types negotiated for each, and so that the packetizer's sequence numbers and
// timestamps go out untouched.
type track struct {
	mu      sync.Mutex // guards the binding; held while writing
	bound   bool
	w       webrtc.TrackLocalWriter
	ssrc    uint32
	ptOpus  uint8
	ptRED   uint8
	haveRED bool
}

func (t *track) ID() string                { return "audio" }
func (t *track) RID() string               { return "" }
func (t *track) StreamID() string          { return "parley" }
func (t *track) Kind() webrtc.RTPCodecType { return webrtc.RTPCodecTypeAudio }

// Bind records the negotiated payload types, SSRC and writer.
func (t *track) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	var opus webrtc.RTPCodecParameters
	t.mu.Lock()
	defer t.mu.Unlock()
	t.haveRED = false
	for _, c := range ctx.CodecParameters() {
		switch {
		case strings.EqualFold(c.MimeType, webrtc.MimeTypeOpus) && opus.MimeType == "":
			opus = c
		case strings.EqualFold(c.MimeType, "audio/red"):
			t.ptRED, t.haveRED = uint8(c.PayloadType), true
		}
	}
	if opus.MimeType == "" {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	t.ptOpus = uint8(opus.PayloadType)
	t.ssrc = uint32(ctx.SSRC())
	t.w = ctx.WriteStream()
	t.bound = true
	return opus, nil
}

// Unbind forgets the binding; writes are dropped until the next Bind.
func (t *track) Unbind(webrtc.TrackLocalContext) error {
	t.mu.Lock()
	t.bound, t.w = false, nil
	t.mu.Unlock()
	return nil
}

// WritePacket implements media.PacketWriter: it sends one packet. h is scratch owned by the
// caller (reused per packet, so the per-frame path allocates nothing here). It returns
// media.ErrNotSent when the track is not bound yet, or when red is asked for but RED was not
// negotiated.
func (t *track) WritePacket(h *rtp.Header, red bool, payload []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.bound || red && !t.haveRED {
		return media.ErrNotSent
	}
	h.Version = 2
	h.SSRC = t.ssrc
	h.PayloadType = t.ptOpus
	if red {
		h.PayloadType = t.ptRED
	}
	_, err := t.w.WriteRTP(h, payload)
	return err
}

// redNegotiated reports whether the peer accepted RED.
func (t *track) redNegotiated() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bound && t.haveRED
}

// REDPayloadType implements media.PacketWriter: the Opus payload type to name inside RED
// blocks, when RED was negotiated.
func (t *track) REDPayloadType() (uint8, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ptOpus, t.bound && t.haveRED
}
