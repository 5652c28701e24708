package e2ee

import "errors"

// Sentinel errors. Every error returned by this package either is one of
// these or wraps one (test with [errors.Is]); the wrapping text adds detail
// but never secret material. All messages begin with "e2ee: ".
var (
	// ErrMalformed reports input of the wrong length or an invalid encoding
	// (a truncated message, a public key that does not parse, bad base32).
	ErrMalformed = errors.New("e2ee: malformed input")

	// ErrVersion reports a wire version byte this implementation does not speak.
	ErrVersion = errors.New("e2ee: unsupported wire version")

	// ErrMessageType reports an agreement message of the wrong type for the
	// step (for example a reveal where a response was expected).
	ErrMessageType = errors.New("e2ee: unexpected message type")

	// ErrCallID reports an agreement message carrying another call's ID.
	ErrCallID = errors.New("e2ee: call ID mismatch")

	// ErrSignature reports an identity signature that does not verify: the
	// message was not sent by the identity it names, or it was altered.
	ErrSignature = errors.New("e2ee: identity signature invalid")

	// ErrCommitment reports a revealed X25519 key that does not match the
	// caller's commitment. The agreement must be abandoned: either the caller
	// cheated or someone in the middle substituted a key.
	ErrCommitment = errors.New("e2ee: reveal does not match commitment")

	// ErrUnexpectedPeer reports a peer presenting an identity key other than
	// the one the local side was configured to expect.
	ErrUnexpectedPeer = errors.New("e2ee: peer identity is not the expected one")

	// ErrBadKey reports a peer public key that is unusable (for example an
	// X25519 point of small order, which would give an all-zero secret).
	ErrBadKey = errors.New("e2ee: peer public key rejected")

	// ErrState reports a method called out of order, twice, or after the
	// agreement failed. A failed agreement cannot be resumed; start a new one.
	ErrState = errors.New("e2ee: agreement used out of order or after failure")

	// ErrConfig reports an invalid Config or argument (a missing identity,
	// a nil clock, an output buffer overlapping the input).
	ErrConfig = errors.New("e2ee: invalid configuration or argument")

	// ErrAuth reports a sealed envelope that failed authentication: it was
	// tampered with, truncated inside the ciphertext, or sealed under another key.
	ErrAuth = errors.New("e2ee: envelope authentication failed")

	// ErrReplay reports an authentic-looking envelope whose sequence number
	// was already consumed (a replay or a duplicate).
	ErrReplay = errors.New("e2ee: envelope replayed")

	// ErrReorder reports an envelope whose sequence number is ahead of the
	// next expected one. Envelopes are accepted strictly in order.
	ErrReorder = errors.New("e2ee: envelope out of order")

	// ErrTooLarge reports a plaintext or envelope above MaxPlaintextSize.
	ErrTooLarge = errors.New("e2ee: envelope too large")

	// ErrExhausted reports that a direction's sequence numbers ran out; the
	// session must be replaced by a new agreement.
	ErrExhausted = errors.New("e2ee: sequence numbers exhausted")

	// ErrClosed reports use of a Session after Close wiped its keys.
	ErrClosed = errors.New("e2ee: session closed")

	// ErrIdentityChanged reports that a peer presented an identity key that
	// differs from the one pinned in the key-continuity store. The UI should
	// warn the user and ask for SAS verification before trusting the call.
	ErrIdentityChanged = errors.New("e2ee: peer identity key changed")

	// ErrStoreCorrupt reports a key-continuity store file that cannot be parsed.
	ErrStoreCorrupt = errors.New("e2ee: key store file corrupt")

	// ErrPeerName reports a peer name the store cannot hold (empty, too long,
	// or not valid UTF-8).
	ErrPeerName = errors.New("e2ee: invalid peer name")

	// ErrUnknownPeer reports a store lookup for a peer never seen.
	ErrUnknownPeer = errors.New("e2ee: unknown peer")
)
