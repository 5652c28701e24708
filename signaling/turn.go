package signaling

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // coturn's REST credential format is HMAC-SHA1 by definition.
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TURNInfo is what the server hands a logged-in client for ICE: STUN and TURN URLs and one
// short-lived credential valid on all TURN URLs until Expires.
type TURNInfo struct {
	URLs       []string  `json:"urls"`                 // "stun:host:port", "turn:host:port?transport=udp", ...
	Username   string    `json:"username,omitempty"`   // coturn REST form "expiry:user"
	Credential string    `json:"credential,omitempty"` // base64(HMAC-SHA1(secret, Username))
	TTL        int       `json:"ttl,omitempty"`        // lifetime in seconds, as minted
	Expires    time.Time `json:"expires,omitzero"`     // when the credential stops working
}

// String describes the info without the credential.
func (t TURNInfo) String() string {
	return fmt.Sprintf("TURN{%v user=%s ttl=%ds}", t.URLs, t.Username, t.TTL)
}

// MintTURN mints a credential in the TURN REST format understood by coturn
// (use-auth-secret) and by the embedded server: the username is "expiry:user" with expiry in
// Unix seconds, the password base64(HMAC-SHA1(secret, username)). ttl is rounded down to whole
// seconds and must be at least one second.
func MintTURN(secret []byte, user string, now time.Time, ttl time.Duration) (username, password string, expires time.Time, err error) {
	if len(secret) == 0 || ttl < time.Second || user == "" || strings.Contains(user, ":") {
		return "", "", time.Time{}, fmt.Errorf("%w: TURN secret, user or ttl", ErrConfig)
	}
	expires = now.Add(ttl).Truncate(time.Second)
	username = strconv.FormatInt(expires.Unix(), 10) + ":" + user
	return username, turnPassword(secret, username), expires, nil
}

func turnPassword(secret []byte, username string) string {
	m := hmac.New(sha1.New, secret)
	m.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// CheckTURN validates a REST username against the clock and returns the password the
// holder must know (TURN servers derive the long-term key from it). It errs, wrapping
// ErrTURNCredential, when the username is malformed or expired at now.
func CheckTURN(secret []byte, username string, now time.Time) (password string, err error) {
	ts, _, ok := strings.Cut(username, ":")
	if !ok {
		return "", fmt.Errorf("%w: no expiry", ErrTURNCredential)
	}
	exp, perr := strconv.ParseInt(ts, 10, 64)
	if perr != nil {
		return "", fmt.Errorf("%w: bad expiry", ErrTURNCredential)
	}
	if now.Unix() >= exp {
		return "", fmt.Errorf("%w: expired", ErrTURNCredential)
	}
	return turnPassword(secret, username), nil
}
