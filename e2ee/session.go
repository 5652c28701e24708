package e2ee

import (
	"crypto/sha256"
	"fmt"
)

type role uint8

const (
	roleCaller role = iota + 1
	roleCallee
)

func (r role) String() string {
	if r == roleCaller {
		return "caller"
	}
	return "callee"
}

// Session is the result of a completed agreement: the SAS to compare, the
// peer's identity to check against the key-continuity store, and the sealed
// channel for everything peer-to-peer afterwards.
//
// Seal and Open are safe for concurrent use (each direction has its own
// lock); Close may be called concurrently with them and makes them return
// ErrClosed. The zero value is not usable; sessions come from Caller.Finish
// and Callee.Finish.
type Session struct {
	// Immutable after the agreement.
	role       role
	callID     CallID
	local      PublicIdentity
	peer       PublicIdentity
	transcript [sha256.Size]byte
	sas        SAS

	send sealer // this side's direction
	recv opener // the peer's direction
}

func newSession(r role, id CallID, caller, callee PublicIdentity, th *transcript, dh, ss []byte) (*Session, error) {
	c2e, e2c, err := deriveKeys(th, id, caller, callee, dh, ss)
	defer clear(c2e[:])
	defer clear(e2c[:])
	if err != nil {
		return nil, fmt.Errorf("e2ee: deriving session keys: %w", err)
	}
	s := &Session{role: r, callID: id, transcript: *th, sas: sasFromTranscript(th)}
	sendKey, recvKey := &c2e, &e2c
	s.local, s.peer = caller, callee
	if r == roleCallee {
		sendKey, recvKey = recvKey, sendKey
		s.local, s.peer = callee, caller
	}
	if err := s.send.init(sendKey); err != nil {
		return nil, err
	}
	if err := s.recv.init(recvKey); err != nil {
		return nil, err
	}
	return s, nil
}

// SAS returns the short authentication string. Users compare it; if it
// differs, someone is in the middle and the call must be dropped.
func (s *Session) SAS() SAS { return s.sas }

// Peer returns the identity the peer proved it holds. Check it with
// Store.Observe before showing the call as trusted.
func (s *Session) Peer() PublicIdentity { return s.peer }

// Local returns this side's identity.
func (s *Session) Local() PublicIdentity { return s.local }

// CallID returns the call this session belongs to.
func (s *Session) CallID() CallID { return s.callID }

// TranscriptHash returns th3, the hash of the whole agreement transcript.
// It is public (both sides and a recorder of the messages can compute it);
// it is useful for logs and channel binding.
func (s *Session) TranscriptHash() [sha256.Size]byte { return s.transcript }

// Seal encrypts plaintext for the peer and appends the envelope to dst,
// returning the extended slice. With cap(dst)-len(dst) ≥
// len(plaintext)+EnvelopeOverhead it does not allocate. dst's spare
// capacity must not overlap plaintext.
func (s *Session) Seal(dst, plaintext []byte) ([]byte, error) { return s.send.seal(dst, plaintext) }

// Open authenticates and decrypts an envelope from the peer and appends
// the plaintext to dst. Envelopes must arrive strictly in order: a replay
// gives ErrReplay, a gap gives ErrReorder, tampering gives ErrAuth; none of
// these changes the session's state, so the next genuine envelope still
// opens. dst's spare capacity must not overlap envelope.
func (s *Session) Open(dst, envelope []byte) ([]byte, error) { return s.recv.open(dst, envelope) }

// Close wipes the session keys (see the package documentation for the
// limits of wiping in Go). Later Seal and Open return ErrClosed.
func (s *Session) Close() error {
	s.send.close()
	s.recv.close()
	return nil
}

// String describes the session without any key material.
func (s *Session) String() string {
	return fmt.Sprintf("Session(%s, call %s, peer %s, SAS %s)", s.role, s.callID, s.peer.Fingerprint(), s.sas)
}
