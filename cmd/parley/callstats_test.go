package main

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/parley-voice/parley/engine"
)

func TestStatsLine(t *testing.T) {
	var m statsMeter
	now := time.Now()
	st := engine.Stats{State: engine.StateConnected, Connected: 5 * time.Second, RTT: 45 * time.Millisecond, MOS: 4.21,
		RemoteAge: 500 * time.Millisecond}
	st.Path = engine.Path{Local: "relay", Remote: "host", Protocol: "udp"}
	st.Send.BitrateBps, st.Send.Frame, st.Send.FEC, st.Send.RED, st.Send.REDDepth = 510000, 60*time.Millisecond, true, true, 3
	st.Send.BytesSent = 5000
	st.Receive.PacketsReceived, st.Receive.PacketsLost = 100, 2
	m.sample(st, now)

	// The next second: 48 packets arrive, 2 are lost, 6 kB sent.
	st.Connected += time.Second
	st.Send.BytesSent += 6000
	st.Receive.PacketsReceived += 48
	st.Receive.PacketsLost += 2
	s := m.sample(st, now.Add(time.Second))
	if s.Out.Kbps != 48 || s.In.Loss == nil || *s.In.Loss != 0.04 || s.Out.MOS == nil || s.RTTMs == nil {
		t.Errorf("sample %+v: want 48 kb/s out, 4%% loss in, a MOS and an RTT", s)
	}
	line := s.text()
	if n := utf8.RuneCountInString(line); n > statsLineWidth {
		t.Errorf("the widest settings make a %d-column line (max %d):\n%s", n, statsLineWidth, line)
	}
	for _, want := range []string{"relay", "out  48.0kb/s", "510k/60ms FEC+RED3", "MOS 4.21", "in loss  4.0%", "rtt  45ms"} {
		if !strings.Contains(line, want) {
			t.Errorf("line lacks %q:\n%s", want, line)
		}
	}

	// The path dies: nothing arrives, the engine reconnects.
	st.State = engine.StateReconnecting
	st.Connected += time.Second
	s = m.sample(st, now.Add(2*time.Second))
	line = s.text()
	if s.In.Loss == nil || *s.In.Loss != 1 || s.Out.MOS != nil || s.RTTMs != nil {
		t.Errorf("outage sample %+v: want 100%% loss, no MOS, no RTT", s)
	}
	for _, want := range []string{"RECONNECTING", "loss  100%", "MOS  n/a"} {
		if !strings.Contains(line, want) {
			t.Errorf("outage line lacks %q:\n%s", want, line)
		}
	}
	if n := utf8.RuneCountInString(line); n > statsLineWidth {
		t.Errorf("outage line is %d columns (max %d):\n%s", n, statsLineWidth, line)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil || back["type"] != "stats" || back["state"] != "reconnecting" {
		t.Errorf("JSON sample %s: %v", b, err)
	}
	if out := back["out"].(map[string]any); out["mos"] != nil {
		t.Errorf("JSON sample in an outage has a MOS: %s", b)
	}
}

func TestRecordingPath(t *testing.T) {
	for _, c := range []struct {
		pattern string
		n       int
		want    string
	}{
		{"bob.wav", 1, "bob.wav"},
		{"bob.wav", 2, "bob-2.wav"},
		{"dir/bob", 3, "dir/bob-3"},
		{"bob-%d.wav", 1, "bob-1.wav"},
		{"calls/%d/bob.wav", 12, "calls/12/bob.wav"},
	} {
		if got := recordingPath(c.pattern, c.n); got != c.want {
			t.Errorf("recordingPath(%q, %d) = %q, want %q", c.pattern, c.n, got, c.want)
		}
	}
}

// TestCallFlagChecks: mistakes are caught before the server is contacted (none runs here),
// naming only the bad flag, with an example.
func TestCallFlagChecks(t *testing.T) {
	t.Setenv(envServer, "ws://127.0.0.1:1/v1/ws") // nothing listens there
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"call", "bob", "-as", "alice", "-frame", "25ms"}, 2, "-frame 25ms: Opus frames are 10ms, 20ms, 40ms or 60ms (e.g. -frame 20ms)"},
		{[]string{"call", "bob", "-as", "alice", "-frame", "20"}, 2, "-frame 20: give the unit (e.g. -frame 20ms)"},
		{[]string{"call", "bob", "-as", "alice", "-kbps", "1000"}, 2, "-kbps 1000: Opus takes 6 to 510 kb/s (e.g. -kbps 32)"},
		{[]string{"call", "bob", "-as", "alice", "-red", "5"}, 2, "-red 5: the RED depth is 0 to 3"},
		{[]string{"call", "bob", "-as", "alice", "-in", "nosuch.wav"}, 1, "cannot open -in nosuch.wav: no such file or directory"},
		{[]string{"call", "bob", "-as", "alice", "-out", "/nonexistent/x.wav"}, 1, "cannot record to -out /nonexistent/x.wav"},
		{[]string{"call", "bob", "-as", "alice", "-stats", "xml"}, 2, `-stats "xml": say text, json or off`},
		{[]string{"call", "bob", "-as", "alice", "-out", "-", "-stats", "json"}, 2, "both want standard output"},
		{[]string{"call", "alice", "-as", "alice"}, 2, "cannot call themselves"},
		{[]string{"call", "bob", "-as", "alice", "-bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"listen", "-as", "bob", "-out", "-", "-calls", "2"}, 2, "-out - records one call"},
		{[]string{"listen", "-as", "bob", "-answer-after", "-1s"}, 2, "-answer-after -1s"},
	} {
		code, o, e := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(e, c.want) || strings.Contains(e, "cannot reach") {
			t.Errorf("parley %v: exit %d, stdout %q, stderr %q; want exit %d saying %q", c.args, code, o, e, c.code, c.want)
		}
	}
	t.Setenv(envUser, "")
	if code, _, e := runCLI(t, "call", "bob"); code != 2 || !strings.Contains(e, "$PARLEY_USER") {
		t.Errorf("call without -as: exit %d, %q", code, e)
	}
	// Help goes to standard output when asked for, with the exit statuses and the environment.
	code, o, e := runCLI(t, "call", "-h")
	if code != 0 || e != "" || !strings.Contains(o, "Exit status") || !strings.Contains(o, "PARLEY_SERVER") {
		t.Errorf("call -h: exit %d, stderr %q, stdout %q", code, e, o)
	}
}

// TestServePortTaken: a second server whose TURN or HTTP port is taken says which flag moves it.
func TestServePortTaken(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	code, _, e := runCLI(t, "serve", "-addr", "127.0.0.1:0", "-turn-listen", pc.LocalAddr().String(), "-data", t.TempDir())
	if code != 1 || !strings.Contains(e, "is taken") || !strings.Contains(e, "-turn-listen") {
		t.Errorf("TURN port taken: exit %d, %q", code, e)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, e = runCLI(t, "serve", "-addr", ln.Addr().String(), "-turn-listen", "", "-data", t.TempDir())
	if code != 1 || !strings.Contains(e, "is taken") || !strings.Contains(e, "-addr") {
		t.Errorf("HTTP port taken: exit %d, %q", code, e)
	}
}

// TestQuietPion: by default pion's own records (the engine tags them "pion") show only from
// Error up; Parley's warnings show; -v shows everything.
func TestQuietPion(t *testing.T) {
	var out syncBuffer
	log := newCallLogger(&cmdEnv{Stderr: &out}, false)
	log.With("pion", "ice").Warn("pion warning")
	log.With("call", "x").With("pion", "dtls").Info("pion info")
	log.With("pion", "ice").Error("pion error")
	log.Warn("parley warning")
	log.Info("parley info")
	got := out.String()
	for _, w := range []string{"pion error", "parley warning"} {
		if !strings.Contains(got, w) {
			t.Errorf("default log lacks %q:\n%s", w, got)
		}
	}
	for _, w := range []string{"pion warning", "pion info", "parley info"} {
		if strings.Contains(got, w) {
			t.Errorf("default log shows %q:\n%s", w, got)
		}
	}
	var verbose syncBuffer
	log = newCallLogger(&cmdEnv{Stderr: &verbose}, true)
	log.With("pion", "ice").Debug("pion detail")
	if !strings.Contains(verbose.String(), "pion detail") {
		t.Errorf("-v hides pion's logs: %q", verbose.String())
	}
}
