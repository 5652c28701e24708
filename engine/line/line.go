package line

import (
	"fmt"
	"sync"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/engine"
	"github.com/parley-voice/parley/signaling"
)

// callBuffer bounds the frames queued for one call that its engine has not read yet.
const callBuffer = 256

// Incoming is a call ringing on this line.
type Incoming struct {
	From   string              // caller's user name
	Device string              // caller's device
	Key    e2ee.PublicIdentity // the caller's identity key as registered with the server
	Invite []byte              // the invite data to pass to engine.Answer
	Signal *Signal             // the call's signal: Answer over it, or Decline
}

// Line is one signaling client turned into per-call Signals. Create with New; it reads the
// client's Events until Close (or until the client stops). Safe for concurrent use.
type Line struct {
	client   *signaling.Client
	incoming chan *Incoming
	done     chan struct{}
	wg       sync.WaitGroup

	mu    sync.Mutex
	calls map[e2ee.CallID]*Signal
}

// New starts demultiplexing client's events. The Line does not own the client: close the Line,
// then the client.
func New(client *signaling.Client) *Line {
	l := &Line{client: client, incoming: make(chan *Incoming, 16), done: make(chan struct{}),
		calls: map[e2ee.CallID]*Signal{}}
	l.wg.Add(1)
	go l.loop()
	return l
}

// Incoming delivers calls ringing on this line. It is closed when the Line stops. Invites that
// arrive while 16 are waiting unread are declined.
func (l *Line) Incoming() <-chan *Incoming { return l.incoming }

// Call prepares an outgoing call to user: it returns the Signal to pass to engine.Dial, which
// sends the invite.
func (l *Line) Call(user string) (*Signal, error) {
	if !signaling.ValidName(user) {
		return nil, fmt.Errorf("%w: user name %q", ErrConfig, user)
	}
	id, err := e2ee.NewCallID(nil)
	if err != nil {
		return nil, err
	}
	return l.register(id, user, true)
}

// ICEServers returns the STUN/TURN servers the signaling server handed out at the latest
// login, with their credential.
func (l *Line) ICEServers() []engine.ICEServer {
	t := l.client.TURN()
	if len(t.URLs) == 0 {
		return nil
	}
	return []engine.ICEServer{{URLs: append([]string(nil), t.URLs...), Username: t.Username, Credential: t.Credential}}
}

// Close stops the Line and waits for its goroutine: every call's Signal fails from then on.
// It does not close the client.
func (l *Line) Close() error {
	l.stop()
	l.wg.Wait()
	return nil
}

func (l *Line) stop() {
	l.mu.Lock()
	select {
	case <-l.done:
	default:
		close(l.done)
	}
	l.mu.Unlock()
}

func (l *Line) register(id e2ee.CallID, peer string, caller bool) (*Signal, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.done:
		return nil, ErrClosed
	default:
	}
	if _, dup := l.calls[id]; dup {
		return nil, fmt.Errorf("%w: call %s exists", ErrConfig, id)
	}
	s := &Signal{line: l, id: id, peer: peer, caller: caller, in: make(chan engine.Message, callBuffer), gone: make(chan struct{})}
	l.calls[id] = s
	return s, nil
}

func (l *Line) forget(id e2ee.CallID) {
	l.mu.Lock()
	delete(l.calls, id)
	l.mu.Unlock()
}

// loop routes the client's frames to calls until the Line closes or the client stops.
func (l *Line) loop() {
	defer l.wg.Done()
	defer close(l.incoming)
	events := l.client.Events()
	for {
		var f *signaling.Frame
		var ok bool
		select {
		case <-l.done:
			return
		case f, ok = <-events:
			if !ok {
				l.stop()
				return
			}
		}
		if f.Type == signaling.TypeIncoming {
			l.ring(f)
			continue
		}
		m, ok := toMessage(f)
		if !ok {
			continue
		}
		l.mu.Lock()
		s := l.calls[f.Call]
		l.mu.Unlock()
		if s == nil {
			continue
		}
		if m.Kind == engine.KindAccept {
			s.markAnswered()
		}
		select {
		case s.in <- m:
		default: // the engine stopped reading this call; drop rather than stall every call
		}
	}
}

// ring registers an incoming call and offers it to the application.
func (l *Line) ring(f *signaling.Frame) {
	s, err := l.register(f.Call, f.User, false)
	if err != nil {
		return
	}
	in := &Incoming{From: f.User, Device: f.Device, Key: f.Key, Invite: f.Data, Signal: s}
	select {
	case l.incoming <- in:
	default:
		_ = l.client.Decline(f.Call)
		l.forget(f.Call)
	}
}

// toMessage maps a server frame about a call to an engine message. The Reason of a hangup is
// the engine.Reason the call should end with (see the package doc).
func toMessage(f *signaling.Frame) (engine.Message, bool) {
	hangup := func(r engine.Reason) (engine.Message, bool) {
		return engine.Message{Kind: engine.KindHangup, Reason: string(r)}, true
	}
	switch f.Type {
	case signaling.TypeRinging:
		return engine.Message{Kind: engine.KindRinging}, true
	case signaling.TypeAccepted:
		return engine.Message{Kind: engine.KindAccept, Data: f.Data}, true
	case signaling.TypeDeclined:
		return engine.Message{Kind: engine.KindDecline, Reason: string(engine.ReasonDeclined)}, true
	case signaling.TypeRelay:
		return engine.Message{Kind: engine.KindRelay, Data: f.Data}, true
	case signaling.TypeHangup:
		return hangup(engine.ReasonRemoteHangup)
	case signaling.TypeCancelled:
		return hangup(cancelReason(f.Reason))
	case signaling.TypeTimeout:
		return hangup(engine.ReasonNoAnswer)
	case signaling.TypeBusy:
		return hangup(engine.ReasonBusy)
	case signaling.TypeUnavailable:
		return hangup(engine.ReasonUnavailable)
	case signaling.TypeError:
		if f.Call != (e2ee.CallID{}) {
			text := f.Code
			if f.Reason != "" {
				text += ": " + f.Reason
			}
			return engine.Message{Kind: engine.KindHangup, Reason: engine.MessageErrorPrefix + ": " + text}, true
		}
	}
	return engine.Message{}, false
}

// cancelReason maps the Reason of a cancelled frame (the callee's side of a call that ended
// before this device answered it) to the engine's.
func cancelReason(r string) engine.Reason {
	switch r {
	case signaling.ReasonTimeout:
		return engine.ReasonNoAnswer
	case signaling.ReasonAnsweredElsewhere:
		return engine.ReasonAnsweredElsewhere
	case signaling.ReasonDeclinedElsewhere:
		return engine.ReasonDeclinedElsewhere
	}
	return engine.ReasonCancelled // signaling.ReasonCancel, or one this version does not know
}
