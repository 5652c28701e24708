package signaling

import (
	"encoding/binary"

	"github.com/parley-voice/parley/e2ee"
)

// loginLabel domain-separates login signatures from every other use of the identity key
// (e2ee agreement signatures use their own labels).
const loginLabel = "parley signaling login v1\x00"

// LoginMessage returns the bytes a client signs to log in:
//
//	label ‖ len(serverID) ‖ serverID ‖ nonce ‖ len(user) ‖ user ‖ len(device) ‖ device
//
// with one-byte lengths. Binding the server ID and its fresh nonce makes a signature useless
// on any other server or connection; binding the user and device makes it useless for any
// other account.
func LoginMessage(serverID string, nonce []byte, user, device string) []byte {
	b := make([]byte, 0, len(loginLabel)+3+len(serverID)+len(nonce)+len(user)+len(device)+2)
	b = append(b, loginLabel...)
	b = appendLV(b, serverID)
	b = binary.BigEndian.AppendUint16(b, uint16(len(nonce)))
	b = append(b, nonce...)
	b = appendLV(b, user)
	b = appendLV(b, device)
	return b
}

func appendLV(b []byte, s string) []byte {
	if len(s) > 255 {
		s = s[:255]
	}
	b = append(b, byte(len(s)))
	return append(b, s...)
}

// VerifyLogin reports whether f (a login frame) carries a valid signature by f.Key over the
// challenge (serverID, nonce).
func VerifyLogin(f *Frame, serverID string, nonce []byte) bool {
	if f.Key.IsZero() || len(f.Sig) != e2ee.SignatureSize {
		return false
	}
	return f.Key.Verify(LoginMessage(serverID, nonce, f.User, f.Device), f.Sig)
}
