package engine

import (
	"errors"
	"strings"
	"testing"
)

func TestRemoteReason(t *testing.T) {
	for _, tc := range []struct {
		m    Message
		want Reason
		err  string // a substring of the error, "" for none
	}{
		{Message{Kind: KindHangup, Reason: "hangup"}, ReasonRemoteHangup, ""},
		{Message{Kind: KindHangup}, ReasonRemoteHangup, ""},
		{Message{Kind: KindHangup, Reason: "busy"}, ReasonBusy, ""},
		{Message{Kind: KindHangup, Reason: "unavailable"}, ReasonUnavailable, ""},
		{Message{Kind: KindHangup, Reason: "no_answer"}, ReasonNoAnswer, ""},
		{Message{Kind: KindHangup, Reason: "cancelled"}, ReasonCancelled, ""},
		{Message{Kind: KindHangup, Reason: "answered_elsewhere"}, ReasonAnsweredElsewhere, ""},
		{Message{Kind: KindHangup, Reason: "declined_elsewhere"}, ReasonDeclinedElsewhere, ""},
		{Message{Kind: KindHangup, Reason: "something new"}, ReasonRemoteHangup, ""},
		{Message{Kind: KindHangup, Reason: "peer_lost"}, ReasonRemoteHangup, ""}, // not the peer's to say
		{Message{Kind: KindHangup, Reason: "errors are fine"}, ReasonRemoteHangup, ""},
		{Message{Kind: KindHangup, Reason: "error: bad_request: cannot call yourself"}, ReasonError, "cannot call yourself"},
		{Message{Kind: KindHangup, Reason: "error"}, ReasonError, "signaling service"},
		{Message{Kind: KindDecline}, ReasonDeclined, ""},
		{Message{Kind: KindDecline, Reason: "busy"}, ReasonDeclined, ""},
		{Message{Kind: KindDecline, Reason: "declined"}, ReasonDeclined, ""},
	} {
		r, err := remoteReason(tc.m)
		if r != tc.want {
			t.Errorf("%v %q: %v, want %v", tc.m.Kind, tc.m.Reason, r, tc.want)
		}
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%v %q: unexpected error %v", tc.m.Kind, tc.m.Reason, err)
		case tc.err != "" && (err == nil || !errors.Is(err, ErrSignal) || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%v %q: error %v, want ErrSignal naming %q", tc.m.Kind, tc.m.Reason, err, tc.err)
		}
	}
}
