package signaling

import (
	"encoding/json"
	"fmt"

	"github.com/parley-voice/parley/e2ee"
)

// Spec constants of the wire protocol.
const (
	// Version is the protocol version every frame carries in V. A server answers a frame of
	// another version with an error frame (code "version") and closes.
	Version = 1

	// MaxFrameSize bounds one encoded frame in bytes. It fits an e2ee Commit (the largest
	// agreement message) and a sealed SDP with candidates with room to spare.
	MaxFrameSize = 32 << 10

	// MaxDataSize bounds the opaque Data of one frame in bytes (before base64).
	MaxDataSize = 16 << 10

	// maxNameLen bounds user and device names.
	maxNameLen = 32

	// NonceSize is the size of the server's login challenge nonce.
	NonceSize = 32
)

// Type names a frame. The zero value is invalid.
type Type string

// Client → server frame types.
const (
	TypeLogin   Type = "login"   // User, Device, Key, Sig; Ack = last Seq received (resume)
	TypeInvite  Type = "invite"  // Call, User (callee), Data (e2ee Commit)
	TypeAccept  Type = "accept"  // Call, Data (e2ee Response)
	TypeDecline Type = "decline" // Call
	TypeCancel  Type = "cancel"  // Call (caller, while ringing)
	TypeHangup  Type = "hangup"  // Call (both directions)
	TypeRelay   Type = "relay"   // Call, Data (both directions)
	TypeAck     Type = "ack"     // Ack only (both directions)
)

// Server → client frame types.
const (
	TypeChallenge   Type = "challenge"   // Server, Nonce
	TypeWelcome     Type = "welcome"     // Server, Device, Resumed, TURN; Ack = last Seq received
	TypeError       Type = "error"       // Code, Reason; Call when about a call
	TypeRinging     Type = "ringing"     // Call: at least one device of the callee rings
	TypeUnavailable Type = "unavailable" // Call: the callee has no device online
	TypeBusy        Type = "busy"        // Call: every device of the callee is in a call
	TypeIncoming    Type = "incoming"    // Call, User (caller), Device, Key (as registered), Data
	TypeAccepted    Type = "accepted"    // Call, Device (callee's), Data
	TypeConnected   Type = "connected"   // Call: to the callee device whose accept won
	TypeDeclined    Type = "declined"    // Call
	TypeTimeout     Type = "timeout"     // Call: nobody answered within the ring timeout
	TypeCancelled   Type = "cancelled"   // Call, Reason (cancel, timeout, answered_elsewhere, declined_elsewhere)
	TypeReconnect   Type = "reconnect"   // the server is shutting down: log in again (elsewhere)

	// TypeTURN both ways: a client asks for a fresh TURN credential (before the one from the
	// welcome expires, e.g. for an ICE restart late in a long call); the server answers with
	// TURN set.
	TypeTURN Type = "turn"
)

// Reasons carried by cancelled frames.
const (
	ReasonCancel            = "cancel"
	ReasonTimeout           = "timeout"
	ReasonAnsweredElsewhere = "answered_elsewhere"
	ReasonDeclinedElsewhere = "declined_elsewhere"
)

// Error codes carried by error frames (Code).
const (
	CodeBadRequest  = "bad_request"  // malformed, unknown type, missing field
	CodeTooLarge    = "too_large"    // frame or data above the limits
	CodeVersion     = "version"      // unsupported protocol version
	CodeAuth        = "auth"         // login failed
	CodeRateLimited = "rate_limited" // slow down
	CodeState       = "state"        // no such call, or not in a state for this request
	CodeRoute       = "route"        // the message could not be routed (broker failure)
	CodeOverloaded  = "overloaded"   // too many connections or queued frames
	CodeShutdown    = "shutdown"     // the server is going away
)

// Frame is one protocol message. Which fields a type requires is checked by Validate; fields a
// type does not use are left zero. The zero value is not a valid frame.
type Frame struct {
	V    int    `json:"v"`
	Type Type   `json:"type"`
	Seq  uint64 `json:"seq,omitempty"` // reliable frames: 1, 2, ... per direction
	Ack  uint64 `json:"ack,omitempty"` // highest Seq received from the other side

	Call    e2ee.CallID         `json:"call,omitzero"`
	User    string              `json:"user,omitempty"`
	Device  string              `json:"device,omitempty"`
	Key     e2ee.PublicIdentity `json:"key,omitzero"`
	Sig     []byte              `json:"sig,omitempty"`
	Nonce   []byte              `json:"nonce,omitempty"`
	Server  string              `json:"server,omitempty"`
	Data    []byte              `json:"data,omitempty"`
	Reason  string              `json:"reason,omitempty"`
	Code    string              `json:"code,omitempty"`
	Resumed bool                `json:"resumed,omitempty"`
	TURN    *TURNInfo           `json:"turn,omitempty"`
}

// field bits for the required-field table.
const (
	fCall = 1 << iota
	fUser
	fDevice
	fKey
	fSig
	fNonce
	fServer
	fData
	fCode
)

// required lists, per known type, the fields it must carry. A type absent from the map is
// unknown.
var required = map[Type]int{
	TypeLogin:       fUser | fDevice | fKey | fSig,
	TypeInvite:      fCall | fUser | fData,
	TypeAccept:      fCall | fData,
	TypeDecline:     fCall,
	TypeCancel:      fCall,
	TypeHangup:      fCall,
	TypeRelay:       fCall | fData,
	TypeAck:         0,
	TypeChallenge:   fServer | fNonce,
	TypeWelcome:     fServer | fDevice,
	TypeError:       fCode,
	TypeRinging:     fCall,
	TypeUnavailable: fCall,
	TypeBusy:        fCall,
	TypeIncoming:    fCall | fUser | fDevice | fData,
	TypeAccepted:    fCall | fDevice | fData,
	TypeConnected:   fCall,
	TypeDeclined:    fCall,
	TypeTimeout:     fCall,
	TypeCancelled:   fCall,
	TypeReconnect:   0,
	TypeTURN:        0,
}

// Reliable reports whether frames of type t are sequenced and acknowledged (resent after a
// resumed session). Login, challenge, welcome, ack, reconnect and errors about the
// connection itself are not.
func (t Type) Reliable() bool {
	switch t {
	case TypeLogin, TypeChallenge, TypeWelcome, TypeAck, TypeReconnect, TypeTURN, "":
		return false
	}
	return true
}

// Validate checks the version, the type and the fields the type requires, and the syntax of
// names and sizes. It does not check semantics (whether the call exists).
func (f *Frame) Validate() error {
	if f.V != Version {
		return fmt.Errorf("%w: v=%d", ErrVersion, f.V)
	}
	req, ok := required[f.Type]
	if !ok {
		return fmt.Errorf("%w: %.32q", ErrUnknownType, string(f.Type))
	}
	var zeroCall e2ee.CallID
	checks := []struct {
		bit     int
		present bool
		name    string
	}{
		{fCall, f.Call != zeroCall, "call"},
		{fUser, f.User != "", "user"},
		{fDevice, f.Device != "", "device"},
		{fKey, !f.Key.IsZero(), "key"},
		{fSig, len(f.Sig) != 0, "sig"},
		{fNonce, len(f.Nonce) != 0, "nonce"},
		{fServer, f.Server != "", "server"},
		{fData, len(f.Data) != 0, "data"},
		{fCode, f.Code != "", "code"},
	}
	for _, c := range checks {
		if req&c.bit != 0 && !c.present {
			return fmt.Errorf("%w: %s needs %s", ErrMissingField, f.Type, c.name)
		}
	}
	if f.User != "" && !ValidName(f.User) {
		return fmt.Errorf("%w: user name", ErrMalformed)
	}
	if f.Device != "" && !ValidName(f.Device) {
		return fmt.Errorf("%w: device name", ErrMalformed)
	}
	if len(f.Data) > MaxDataSize {
		return fmt.Errorf("%w: data %d bytes", ErrTooLarge, len(f.Data))
	}
	if len(f.Sig) != 0 && len(f.Sig) != e2ee.SignatureSize {
		return fmt.Errorf("%w: signature size", ErrMalformed)
	}
	if len(f.Nonce) != 0 && len(f.Nonce) != NonceSize {
		return fmt.Errorf("%w: nonce size", ErrMalformed)
	}
	if len(f.Server) > 64 || len(f.Reason) > 256 || len(f.Code) > 32 {
		return fmt.Errorf("%w: text field too long", ErrMalformed)
	}
	if (f.Seq != 0) != f.Type.Reliable() && f.Type != TypeError {
		return fmt.Errorf("%w: seq on a %s frame", ErrMalformed, f.Type)
	}
	return nil
}

// ValidName reports whether s is a valid user or device name: 1 to 32 bytes of lowercase
// ASCII letters, digits, '.', '_' and '-'.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Decode parses and validates one frame. It is strict: unknown, duplicated or escaped keys,
// keys in another case, trailing data, a frame above MaxFrameSize, an unknown type or a
// missing field are errors (wrapping ErrTooLarge, ErrMalformed, ErrVersion, ErrUnknownType or
// ErrMissingField). Decode never panics and retains no reference to b.
func Decode(b []byte) (*Frame, error) {
	if len(b) > MaxFrameSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(b))
	}
	f := new(Frame)
	if err := json.Unmarshal(b, f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, truncErr(err))
	}
	// encoding/json matches keys case-insensitively and ignores unknown ones; the protocol
	// wants neither, so check the top-level keys of the (now known valid) object exactly.
	if err := checkKeys(b); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// frameKeys are the JSON keys of Frame, each with its bit for duplicate detection.
var frameKeys = map[string]uint32{
	"v": 1 << 0, "type": 1 << 1, "seq": 1 << 2, "ack": 1 << 3, "call": 1 << 4, "user": 1 << 5,
	"device": 1 << 6, "key": 1 << 7, "sig": 1 << 8, "nonce": 1 << 9, "server": 1 << 10,
	"data": 1 << 11, "reason": 1 << 12, "code": 1 << 13, "resumed": 1 << 14, "turn": 1 << 15,
}

// checkKeys walks the top-level object of b, which json.Unmarshal already accepted as valid
// JSON, and refuses keys that are not exactly a Frame key or that repeat.
func checkKeys(b []byte) error {
	var seen uint32
	depth := 0
	expectKey := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '{':
			depth++
			expectKey = depth == 1
		case '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			expectKey = depth == 1
		case '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(b) {
				return fmt.Errorf("%w: unterminated string", ErrMalformed)
			}
			if expectKey {
				key := b[i+1 : j]
				bit, ok := frameKeys[string(key)]
				switch {
				case !ok:
					return fmt.Errorf("%w: unknown field %.32q", ErrMalformed, key)
				case seen&bit != 0:
					return fmt.Errorf("%w: duplicate field %q", ErrMalformed, key)
				}
				seen |= bit
				expectKey = false
			}
			i = j
		}
	}
	return nil
}

// Encode validates f and returns its JSON encoding, at most MaxFrameSize bytes.
func Encode(f *Frame) ([]byte, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(b) > MaxFrameSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(b))
	}
	return b, nil
}

// truncErr keeps decoder errors short: they may quote attacker-chosen input.
func truncErr(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
