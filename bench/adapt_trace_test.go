package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-voice/parley/internal/netem"
)

func TestTraceLink(t *testing.T) {
	dir := t.TempDir()
	// Mahimahi: 1 opportunity per ms for 1 s (12 Mbit/s), then 1 s of nothing.
	var mm strings.Builder
	for ms := range 1000 {
		mm.WriteString(itoa(ms) + "\n")
	}
	mm.WriteString("2000\n")
	mmPath := filepath.Join(dir, "link.up")
	norway := filepath.Join(dir, "bus_1")
	onl := filepath.Join(dir, "t.json")
	for p, s := range map[string]string{mmPath: mm.String(), norway: "0 0.05\n1 0.01\n2 0.08\n",
		onl: `{"type":"video","uplink":{"trace_pattern":[{"duration":1000,"capacity":40,"loss":0.1,"rtt":100,"jitter":0}]}}`} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, note, err := TraceLink(mmPath, TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := l.Config(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if l.Name != "mm:link.up" || !strings.Contains(note, "mahimahi") {
		t.Errorf("name %q note %q", l.Name, note)
	}
	if m := cfg.Capacity.Trace.MeanRateBps(); m < 0.99*AutoTraceMeanBps || m > 1.01*AutoTraceMeanBps {
		t.Errorf("auto-scaled mean %.0f, want %.0f", m, AutoTraceMeanBps)
	}
	segs := cfg.Capacity.Trace.Segments
	if segs[0].RateBps == 0 || segs[len(segs)-2].RateBps != 0 {
		t.Errorf("the outage was not kept: first %d, last-but-one %d", segs[0].RateBps, segs[len(segs)-2].RateBps)
	}
	if cfg.Delay.Base != DefaultTraceDelay {
		t.Errorf("base delay %v", cfg.Delay.Base)
	}
	// Norway below the audio ceiling is not scaled; an explicit scale is applied.
	l, _, err = TraceLink(norway, TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ = l.Config(0)
	if l.Name != "no:bus_1" || cfg.Capacity.Trace.Segments[0].RateBps != 50000 {
		t.Errorf("norway: %q %+v", l.Name, cfg.Capacity.Trace.Segments[0])
	}
	l, _, err = TraceLink(onl, TraceOptions{Scale: 0.5, BaseDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ = l.Config(0)
	if s := cfg.Capacity.Trace.Segments[0]; s.RateBps != 20000 || s.Loss != 0.1 || cfg.Delay.Base != 10*time.Millisecond {
		t.Errorf("opennetlab: %+v base %v", s, cfg.Delay.Base)
	}
	// An offset rotates the trace: 1.5 s into the Mahimahi one starts in its outage.
	l, _, err = TraceLink(mmPath, TraceOptions{Offset: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := l.Config(0)
	if s := c2.Capacity.Trace.Segments; len(s) != 20 || s[0].RateBps != 0 || s[5].RateBps == 0 || s[len(s)-1].RateBps != 0 ||
		c2.Capacity.Trace.Duration() != 2*time.Second {
		t.Errorf("offset trace: %+v, lasts %v", s, c2.Capacity.Trace.Duration())
	}
	// The link runs.
	link, err := netem.NewLink(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	link.Send(0, 100)
	// Errors name the problem.
	for _, c := range []struct {
		path string
		opt  TraceOptions
		want string
	}{
		{filepath.Join(dir, "missing.json"), TraceOptions{}, "missing.json"},
		{norway, TraceOptions{Scale: -1}, "negative"},
		{norway, TraceOptions{Format: netem.FormatMahimahi}, "bus_1"},
	} {
		if _, _, err := TraceLink(c.path, c.opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("TraceLink(%s, %+v) = %v, want an error naming %q", c.path, c.opt, err, c.want)
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// FuzzSniffTraceFormat: the format sniffer never panics and names the file when it gives up.
func FuzzSniffTraceFormat(f *testing.F) {
	for _, s := range []string{"12\n13\n", "0.0 1.5\n", `{"uplink":{}}`, "\n\n x y z\n", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := sniffTraceFormat(strings.NewReader(s), "f")
		if err != nil && !strings.Contains(err.Error(), "f") {
			t.Fatalf("error %v", err)
		}
		if err == nil && fm == "" {
			t.Fatal("no format and no error")
		}
	})
}
