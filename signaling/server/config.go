package server

import (
	"log/slog"
	"time"
)

// Config configures a Server. Every field's zero value takes the default given, so the zero
// Config is a working single-node server without TURN.
type Config struct {
	// ID names this node in login challenges (logins are bound to it). Zero picks a random ID.
	// Nodes of one deployment share users, so a client may log in to any of them.
	ID string
	// Broker routes messages between nodes; nil uses a private MemoryBroker (single node).
	Broker Broker
	// Registry binds user names to identity keys; nil uses a private MemoryRegistry. Nodes
	// sharing a Broker must share a Registry too.
	Registry Registry
	// Clock times ring timeouts, the resume grace period and credential expiry; nil is the
	// system clock.
	Clock Clock
	// Logger receives connection and call events; nil discards. Secrets, nonces, signatures
	// and payloads are never logged.
	Logger *slog.Logger

	// RingTimeout is how long an invite rings before the caller gets "timeout"; zero is 30 s.
	RingTimeout time.Duration
	// ResumeGrace is how long a session outlives its dropped connection, queuing frames for
	// the client to resume; zero is 30 s.
	ResumeGrace time.Duration
	// NewSessionGrace replaces ResumeGrace for a session that was connected for less than
	// ResumeGrace, never resumed and never sent a frame: a client that logs in and vanishes
	// at once does not hold a session for long. Zero is 5 s.
	NewSessionGrace time.Duration
	// ReadIdleTimeout closes a connection from which nothing (no frame, no ping) arrived for
	// that long (real time); its session may still resume. Clients ping every 25 s. Zero is
	// 90 s; negative disables it.
	ReadIdleTimeout time.Duration
	// UnusedNameTTL frees a registered name whose owner never logged in again after the
	// registering login, that long after the registration. Zero is 7 days; negative never.
	UnusedNameTTL time.Duration
	// LoginTimeout bounds the time from WebSocket accept to a valid login (real time); zero
	// is 10 s.
	LoginTimeout time.Duration
	// BrokerTimeout bounds one broker request (an invite's ring fan-out); zero is 5 s.
	BrokerTimeout time.Duration
	// WriteTimeout bounds one WebSocket write (real time); a peer that does not take a frame
	// within it is disconnected. Zero is 10 s.
	WriteTimeout time.Duration

	// PrivateMetrics keeps PathMetrics off the public Handler: it is then served only by
	// AdminHandler (parley serve -admin-addr), on an address only operators reach. Zero
	// serves it publicly too.
	PrivateMetrics bool

	// TURN configures the ICE servers handed to clients at login.
	TURN TURNConfig
	// Limits configures abuse protection.
	Limits Limits
}

// TURNConfig is what clients are told about STUN/TURN. With no Secret, clients get the URLs
// (if any) without credentials.
type TURNConfig struct {
	// Secret is the HMAC secret shared with the TURN server (coturn static-auth-secret).
	Secret []byte
	// URLs are handed out as is: "stun:host:port", "turn:host:port?transport=udp|tcp".
	URLs []string
	// TTL is each credential's lifetime; zero is 10 minutes.
	TTL time.Duration
}

// Limits bounds what one connection, user and address may do. Zero fields take the defaults
// given; negative rates mean unlimited.
type Limits struct {
	// InvitesPerSec is the per-session invite rate (burst twice that); zero is 5.
	InvitesPerSec float64
	// MessagesPerSec is the per-session rate of all frames (burst twice that); zero is 200.
	MessagesPerSec float64
	// UserInvitesPerSec is the invite rate of all of a user's sessions on this node; zero is 10.
	UserInvitesPerSec float64
	// UserMessagesPerSec is the frame rate of all of a user's sessions on this node; zero is 400.
	UserMessagesPerSec float64
	// MaxConnsPerIP bounds concurrent WebSockets from one IP address; zero is 64.
	MaxConnsPerIP int
	// MaxConns bounds concurrent WebSockets on this node; zero is 100,000.
	MaxConns int
	// MaxSessionsPerIP bounds the sessions (connected or waiting to be resumed) logged in from
	// one IPv4 address or IPv6 /64; zero is 64.
	MaxSessionsPerIP int
	// MaxDevicesPerUser bounds one user's sessions on this node; zero is 8.
	MaxDevicesPerUser int
	// RegistrationsPerIPPerHour bounds the new names one IPv4 address or IPv6 /64 may
	// register (burst up to 10 at once); zero is 30, negative is unlimited.
	RegistrationsPerIPPerHour float64
	// MaxRinging bounds the incoming calls ringing at once on one device; more are answered
	// busy. Zero is 4.
	MaxRinging int
	// CalleeInvitesPerSec bounds the invites one user receives on this node (burst twice
	// that, at least 4); more are answered busy. Zero is 2; negative is unlimited.
	CalleeInvitesPerSec float64
	// SendQueue bounds the frames waiting to be written to one connection; a reader slower
	// than that is disconnected (its session may still resume). Zero is 256.
	SendQueue int
	// SendQueueBytes bounds the bytes of those frames; zero is 1 MiB. Frames the writer has
	// taken no longer count, so one connection buffers at most about twice this.
	SendQueueBytes int
	// MaxUnacked bounds a session's unacknowledged frames; past it the session is ended.
	// Zero is 1024.
	MaxUnacked int
	// MaxUnackedBytes bounds the payload bytes of those frames; zero is 2 MiB.
	MaxUnackedBytes int
	// MaxBadFrames is how many malformed frames a connection may send (each answered with an
	// error frame) before it is closed as abusive; zero is 8.
	MaxBadFrames int
}

func (c *Config) setDefaults() {
	dur := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	dur(&c.RingTimeout, 30*time.Second)
	dur(&c.ResumeGrace, 30*time.Second)
	dur(&c.LoginTimeout, 10*time.Second)
	dur(&c.NewSessionGrace, 5*time.Second)
	dur(&c.ReadIdleTimeout, 90*time.Second)
	dur(&c.UnusedNameTTL, 7*24*time.Hour)
	dur(&c.BrokerTimeout, 5*time.Second)
	dur(&c.WriteTimeout, 10*time.Second)
	dur(&c.TURN.TTL, 10*time.Minute)
	f := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	l := &c.Limits
	f(&l.InvitesPerSec, 5)
	f(&l.MessagesPerSec, 200)
	f(&l.UserInvitesPerSec, 10)
	f(&l.UserMessagesPerSec, 400)
	f(&l.RegistrationsPerIPPerHour, 30)
	f(&l.CalleeInvitesPerSec, 2)
	i := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	i(&l.MaxConnsPerIP, 64)
	i(&l.MaxConns, 100_000)
	i(&l.MaxSessionsPerIP, 64)
	i(&l.MaxDevicesPerUser, 8)
	i(&l.MaxRinging, 4)
	i(&l.SendQueue, 256)
	i(&l.SendQueueBytes, 1<<20)
	i(&l.MaxUnacked, 1024)
	i(&l.MaxUnackedBytes, 2<<20)
	i(&l.MaxBadFrames, 8)
}
