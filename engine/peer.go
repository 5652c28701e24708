package engine

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/stun/v4"
	"github.com/pion/webrtc/v4"
)

// Payload types Parley offers. Both ends use the same values, but the sender still looks the
// negotiated ones up when its track binds (see track.Bind).
const (
	ptOpus = 111
	ptRED  = 63
)

// Codec capabilities: Opus (RFC 7587: always declared 48000/2, sent mono) with in-band FEC and
// DTX, and RED (RFC 2198) over it.
var (
	opusCapability = webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
		SDPFmtpLine: "minptime=10;useinbandfec=1;usedtx=1",
	}
	redCapability = webrtc.RTPCodecCapability{
		MimeType: "audio/red", ClockRate: 48000, Channels: 2,
		SDPFmtpLine: "111/111",
	}
)

// newAPI builds the pion API for one call: Opus and RED only, our own interceptor registry
// (RTCP reports only: pion's defaults would add NACK, TWCC and other video machinery), and settings for the path policy.
func newAPI(s *settings, onCheck func(*stun.Message, ice.Candidate, ice.Candidate, *ice.CandidatePair) bool) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: opusCapability, PayloadType: ptOpus}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: redCapability, PayloadType: ptRED}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}

	// No stats interceptor: the call reads what it needs from ICE (see fromPion), never
	// PeerConnection.GetStats.
	reg := &interceptor.Registry{}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, err
	}
	// No transport-wide congestion control: the adaptation's per-packet arrival feedback
	// (adapt.go) replaces it, and its header extension and feedback would cost every packet
	// bytes on links of a few tens of kb/s.

	var se webrtc.SettingEngine
	if s.Net != nil {
		se.SetNet(s.Net)
	}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(s.IncludeLoopback)
	if s.Policy == PolicyRelay {
		se.SetRelayAcceptanceMinWait(0) // there is no direct pair to wait for
	} else {
		se.SetRelayAcceptanceMinWait(s.RelayWait)
	}
	// Path loss, restarts and the end of a call are the engine's (failover.go): ICE never
	// fails, keeps checking the selected pair through an outage, and checks new pairs for
	// longer than the restart backoff.
	se.SetICETimeouts(iceDisconnected, iceFailed, iceKeepalive)
	se.SetICEMaxBindingRequests(iceMaxBindingRequests)
	// Warm standby (path.go): every pair stays checked, pion never switches by itself, and
	// our handler sees every check that arrives and picks the pair to send on.
	if err := se.SetICERenomination(webrtc.WithRenominationInterval(renominationOff)); err != nil {
		return nil, err
	}
	se.SetICEBindingRequestHandler(onCheck)
	se.SetSCTPRTOMax(sctpRTOMax)
	se.SetSRTPProtectionProfiles(dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AEAD_AES_256_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6})
	se.DisableActiveTCP(true)
	se.LoggerFactory = &pionLogs{log: s.Logger}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)), nil
}

// rtcConfig maps the ICE servers and policy onto pion's configuration.
func rtcConfig(s *settings) webrtc.Configuration {
	var c webrtc.Configuration
	for _, srv := range s.ICEServers {
		var urls []string
		for _, u := range srv.URLs {
			isTURN := strings.HasPrefix(u, "turn")
			if s.Policy == PolicyDirect && isTURN {
				continue // direct: never allocate a relay
			}
			urls = append(urls, u)
		}
		if len(urls) > 0 {
			c.ICEServers = append(c.ICEServers, webrtc.ICEServer{URLs: urls, Username: srv.Username, Credential: srv.Credential})
		}
	}
	if s.Policy == PolicyRelay {
		c.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	c.BundlePolicy = webrtc.BundlePolicyMaxBundle
	c.RTCPMuxPolicy = webrtc.RTCPMuxPolicyRequire
	return c
}

// pathOf describes a selected candidate pair.
func pathOf(p *webrtc.ICECandidatePair) Path {
	if p == nil || p.Local == nil || p.Remote == nil {
		return Path{}
	}
	path := Path{
		Local: p.Local.Typ.String(), Remote: p.Remote.Typ.String(), Protocol: p.Local.Protocol.String(),
		LocalAddr:  fmt.Sprintf("%s:%d", p.Local.Address, p.Local.Port),
		RemoteAddr: fmt.Sprintf("%s:%d", p.Remote.Address, p.Remote.Port),
	}
	return path
}

// pionLogs routes pion's logs into the call's slog.Logger, one level down (pion warns about
// routine events such as sockets closing at hang-up): its info and warnings become Debug, its
// errors Warn; its debug and trace output (per packet) is dropped.
type pionLogs struct{ log *slog.Logger }

func (f *pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return &pionLog{log: f.log.With("pion", scope)}
}

type pionLog struct{ log *slog.Logger }

func (l *pionLog) Trace(string)              {}
func (l *pionLog) Tracef(string, ...any)     {}
func (l *pionLog) Debug(string)              {}
func (l *pionLog) Debugf(string, ...any)     {}
func (l *pionLog) Info(msg string)           { l.log.Debug(msg) }
func (l *pionLog) Infof(f string, a ...any)  { l.log.Debug(fmt.Sprintf(f, a...)) }
func (l *pionLog) Warn(msg string)           { l.log.Debug(msg) }
func (l *pionLog) Warnf(f string, a ...any)  { l.log.Debug(fmt.Sprintf(f, a...)) }
func (l *pionLog) Error(msg string)          { l.log.Warn(msg) }
func (l *pionLog) Errorf(f string, a ...any) { l.log.Warn(fmt.Sprintf(f, a...)) }

// selectedPair returns the ICE candidate pair in use, or nil. Before ICE starts (the first
// remote description) it does not touch pion's ICE transport: pion sets the transport's
// gatherer when it starts, unsynchronised with its getters (a data race under -race).
func selectedPair(pc *webrtc.PeerConnection) *webrtc.ICECandidatePair {
	it := pc.SCTP().Transport().ICETransport()
	if it.State() == webrtc.ICETransportStateNew {
		return nil
	}
	p, err := it.GetSelectedCandidatePair()
	if err != nil {
		return nil
	}
	return p
}

// fromPion reads the round-trip time and, for a local relay candidate, how it reaches its
// TURN server ("udp", "tcp", "dtls" or "tls"), without PeerConnection.GetStats: GetStats reads
// each remote track's codec while pion's receiver rewrites it on every payload-type change
// (RED switched on or off), a data race. The RTT is the selected pair's, measured by ICE's
// consent checks every iceKeepalive; zero before the first check and while no pair is
// selected (during an ICE restart).
func fromPion(pc *webrtc.PeerConnection, path Path) (time.Duration, string) {
	it := pc.SCTP().Transport().ICETransport()
	if it.State() == webrtc.ICETransportStateNew {
		return 0, ""
	}
	var rtt time.Duration
	if s, ok := it.GetSelectedCandidatePairStats(); ok && s.CurrentRoundTripTime > 0 {
		rtt = time.Duration(s.CurrentRoundTripTime * float64(time.Second))
	}
	relay := ""
	if p := selectedPair(pc); path.Local == "relay" && p != nil && p.Local != nil && p.Local.Typ == webrtc.ICECandidateTypeRelay {
		relay = relayProtocol(p.Local.Priority)
	}
	return rtt, relay
}

// relayProtocol decodes how a relay candidate reaches its TURN server from the candidate's
// priority: RFC 8445 §5.1.2.1 puts a local preference in bits 8 to 23, and pion's relay
// candidates set it by that protocol (udp 3, dtls 2, tcp 1, tls 0).
func relayProtocol(priority uint32) string {
	switch (priority >> 8) & 0xffff {
	case 3:
		return "udp"
	case 2:
		return "dtls"
	case 1:
		return "tcp"
	case 0:
		return "tls"
	}
	return ""
}
