// The once-a-second statistics of parley call and parley listen: a text line of at most
// statsLineWidth columns, or one JSON object per second (-stats json).

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/parley-voice/parley/engine"
)

// statsLineWidth is the widest a text statistics line may be, in columns.
const statsLineWidth = 100

// statsSample is one second of a call, as -stats json prints it (one object per line). Rates
// and fractions are over the last second; nil fields are unknown for that second.
type statsSample struct {
	Type        string   `json:"type"`  // "stats"
	T           float64  `json:"t"`     // seconds since the call connected
	State       string   `json:"state"` // "connected" or "reconnecting"
	Path        string   `json:"path"`  // the selected pair, e.g. "relay/udp → host"
	Relayed     bool     `json:"relayed"`
	ICERestarts uint64   `json:"ice_restarts"`
	RTTMs       *float64 `json:"rtt_ms"`
	Out         struct {
		Kbps       float64  `json:"kbps"`        // RTP payload sent
		BitrateBps int      `json:"bitrate_bps"` // Opus bitrate in force
		FrameMs    int64    `json:"frame_ms"`
		FEC        bool     `json:"fec"`
		REDDepth   int      `json:"red_depth"`
		MOS        *float64 `json:"mos"` // E-model estimate of what the peer hears; nil in an outage
	} `json:"out"`
	In struct {
		Packets   uint64   `json:"packets"`   // received in the second
		Loss      *float64 `json:"loss"`      // fraction 0..1 of the packets expected in the second
		Concealed *float64 `json:"concealed"` // fraction of the second's audio concealed
		DelayMs   float64  `json:"delay_ms"`  // jitter-buffer delay (mean over the second)
		TargetMs  float64  `json:"target_ms"` // jitter-buffer target
	} `json:"in"`
}

// statsMeter turns cumulative engine.Stats into per-second samples.
type statsMeter struct {
	prev   engine.Stats
	prevAt time.Time
	have   bool
}

// sample returns the second since the previous call.
func (m *statsMeter) sample(st engine.Stats, now time.Time) statsSample {
	var s statsSample
	s.Type = "stats"
	s.T = math.Round(st.Connected.Seconds()*10) / 10
	s.State = st.State.String()
	s.Path = st.Path.String()
	s.Relayed = st.Path.Relayed()
	s.ICERestarts = st.ICERestarts
	p := m.prev
	if !m.have {
		p = engine.Stats{}
		m.prevAt = now.Add(-time.Second)
	}
	secs := now.Sub(m.prevAt).Seconds()
	if secs <= 0 {
		secs = 1
	}
	m.prev, m.prevAt, m.have = st, now, true

	outage := st.State == engine.StateReconnecting
	if st.RTT > 0 && !outage {
		s.RTTMs = ptr(ms(st.RTT))
	}
	s.Out.Kbps = math.Round(float64(st.Send.BytesSent-p.Send.BytesSent)*8/1000/secs*10) / 10
	s.Out.BitrateBps, s.Out.FrameMs = st.Send.BitrateBps, st.Send.Frame.Milliseconds()
	s.Out.FEC, s.Out.REDDepth = st.Send.FEC, 0
	if st.Send.RED {
		s.Out.REDDepth = st.Send.REDDepth
	}
	if st.MOS > 0 && !outage && st.RemoteAge < 3*time.Second {
		s.Out.MOS = ptr(math.Round(st.MOS*100) / 100)
	}
	r, q := st.Receive, p.Receive
	s.In.Packets = r.PacketsReceived - q.PacketsReceived
	lost := max(0, r.PacketsLost-q.PacketsLost)
	switch exp := float64(s.In.Packets) + float64(lost); {
	case outage || s.In.Packets == 0 && st.Connected > 2*time.Second:
		s.In.Loss = ptr(1.0) // nothing arrives: the jitter buffer counts the loss only later
	case exp > 0:
		s.In.Loss = ptr(math.Round(float64(lost)/exp*1000) / 1000)
	}
	if n := r.TotalSamplesReceived - q.TotalSamplesReceived; n > 0 {
		s.In.Concealed = ptr(math.Round(float64(r.ConcealedSamples-q.ConcealedSamples)/float64(n)*1000) / 1000)
	}
	if n := r.JitterBufferEmittedCount - q.JitterBufferEmittedCount; n > 0 {
		s.In.DelayMs = math.Round((r.JitterBufferDelay - q.JitterBufferDelay) / float64(n) * 1000)
	}
	s.In.TargetMs = math.Round(ms(r.TargetDelay))
	return s
}

func ptr[T any](v T) *T { return &v }

// text renders s in at most statsLineWidth columns, grouped by direction:
//
//	12s direct       out  41.2kb/s 24k/20ms FEC+RED1  MOS 4.21 | in loss  2.0% jb  52ms | rtt  45ms
//	13s RECONNECTING out  41.0kb/s 24k/20ms FEC+RED1  MOS  n/a | in loss  100% jb   0ms | rtt   -
func (s statsSample) text() string {
	path := "direct"
	switch {
	case s.State == engine.StateReconnecting.String():
		path = "RECONNECTING"
	case s.Relayed:
		path = "relay"
	}
	prot := ""
	switch {
	case s.Out.FEC && s.Out.REDDepth > 0:
		prot = fmt.Sprintf("FEC+RED%d", s.Out.REDDepth)
	case s.Out.FEC:
		prot = "FEC"
	case s.Out.REDDepth > 0:
		prot = fmt.Sprintf("RED%d", s.Out.REDDepth)
	}
	opus := fmt.Sprintf("%dk/%dms %s", s.Out.BitrateBps/1000, s.Out.FrameMs, prot)
	pct := func(v *float64) string {
		if v == nil {
			return "  n/a"
		}
		if *v >= 0.9995 {
			return " 100%"
		}
		return fmt.Sprintf("%4.1f%%", 100**v)
	}
	mos := " n/a"
	if s.Out.MOS != nil {
		mos = fmt.Sprintf("%.2f", *s.Out.MOS)
	}
	rtt := "  -"
	if s.RTTMs != nil {
		rtt = fmt.Sprintf("%3.0fms", *s.RTTMs)
	}
	// Concealment is left to -stats json and the summary: the line stays within 100 columns.
	return fmt.Sprintf("%4.0fs %-12s out %5.1fkb/s %-17s MOS %s | in loss %s jb %3.0fms | rtt %s",
		s.T, path, s.Out.Kbps, opus, mos, pct(s.In.Loss), s.In.DelayMs, rtt)
}

// callEvent is a -stats json line about the call's life: "state" (ringing, connecting,
// connected, reconnecting; with the path and the SAS where known) and "ended" (with the
// reason, the message printed and the exit status).
type callEvent struct {
	Type     string  `json:"type"` // "state" or "ended"
	State    string  `json:"state,omitempty"`
	Path     string  `json:"path,omitempty"`
	SAS      string  `json:"sas,omitempty"`
	OutageMs float64 `json:"outage_ms,omitempty"`
	Reason   string  `json:"reason,omitempty"`
	Message  string  `json:"message,omitempty"`
	Exit     *int    `json:"exit,omitempty"`
	Peer     string  `json:"peer,omitempty"`
}

// writeJSON writes v as one line.
func writeJSON(w io.Writer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	_, _ = w.Write(append(b, '\n'))
}
