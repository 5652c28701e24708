package netem

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseTinyTraces(t *testing.T) {
	mm, err := LoadTrace("testdata/tiny.mahimahi", FormatMahimahi)
	if err != nil {
		t.Fatal(err)
	}
	if mm.Period != 10*time.Millisecond || len(mm.Opportunities) != 6 {
		t.Errorf("mahimahi: %+v", mm)
	}
	onl, err := LoadTrace("testdata/tiny_opennetlab.json", FormatOpenNetLab)
	if err != nil {
		t.Fatal(err)
	}
	want := []TraceSegment{
		{Duration: time.Second, RateBps: 800e3, Delay: 20 * time.Millisecond},
		{Duration: 500 * time.Millisecond, RateBps: 200e3, Loss: 0.1, Delay: 50 * time.Millisecond, Jitter: 10 * time.Millisecond},
		{Duration: 500 * time.Millisecond, RateBps: 800e3}, // 900 Gbit/s outlier clipped
	}
	for i, w := range want {
		if onl.Segments[i] != w {
			t.Errorf("opennetlab segment %d: %+v, want %+v", i, onl.Segments[i], w)
		}
	}
	nw, err := LoadTrace("testdata/tiny.norway", FormatNorway)
	if err != nil {
		t.Fatal(err)
	}
	if len(nw.Segments) != 4 || nw.Segments[1].Duration != time.Second || nw.Segments[1].RateBps != 3e6 ||
		nw.Segments[3].Duration != 2*time.Second/3 {
		t.Errorf("norway: %+v", nw.Segments)
	}
}

// TestOpenNetLabSegmentsApply: a trace segment's loss, rtt and capacity take effect in its time.
func TestOpenNetLabSegmentsApply(t *testing.T) {
	tr, err := LoadTrace("testdata/tiny_opennetlab.json", FormatOpenNetLab)
	if err != nil {
		t.Fatal(err)
	}
	l := mustLink(t, LinkConfig{Capacity: CapacityConfig{Trace: tr}}, 1)
	var lostA, lostB, nA, nB int
	for i := range 40_000 { // 1 ms apart over 20 loops of 2 s
		at := time.Duration(i) * time.Millisecond
		dv := l.Send(at, 10) // tiny packets: capacity never limits
		inB := at%(2*time.Second) >= time.Second && at%(2*time.Second) < 1500*time.Millisecond
		if inB {
			nB++
		} else {
			nA++
		}
		if dv.Dropped {
			if inB {
				lostB++
			} else {
				lostA++
			}
			continue
		}
		d := dv.At - at
		if !inB && at%(2*time.Second) < time.Second && (d < 20*time.Millisecond || d > 21*time.Millisecond) {
			t.Fatalf("segment 1 delay %v at %v", d, at)
		}
		if inB && (d < 50*time.Millisecond || d > 62*time.Millisecond) {
			t.Fatalf("segment 2 delay %v at %v", d, at)
		}
	}
	if lostA != 0 || !within(float64(lostB)/float64(nB), 0.1, 0.1) {
		t.Errorf("losses %d/%d and %d/%d", lostA, nA, lostB, nB)
	}
}

func TestSegmentTraceCapacity(t *testing.T) {
	tr, err := LoadTrace("testdata/tiny.norway", FormatNorway)
	if err != nil {
		t.Fatal(err)
	}
	// Bytes delivered over one loop (2 s + 2/3 s) equal the integral of the trace.
	l := mustLink(t, LinkConfig{Capacity: CapacityConfig{Trace: tr}}, 1)
	loop := tr.Duration()
	var got int64
	for i := 0; ; i++ {
		dv := l.Send(0, 1000)
		if dv.At > loop {
			break
		}
		got += 1000
	}
	want := (1.5e6*0.5 + 3e6*1 + 0 + 2e6*2.0/3) / 8
	if !within(float64(got), want, 0.001) {
		t.Errorf("delivered %d bytes in a loop, want %.0f", got, want)
	}
}

func TestSharedOpenNetLabAndNorway(t *testing.T) {
	dir := sharedTraces(t)
	if dir == "" {
		t.Log("no ../shared/data/traces: the tiny testdata traces cover the parsers")
		return
	}
	files, _ := filepath.Glob(filepath.Join(dir, "opennetlab", "*.json"))
	if len(files) == 0 {
		t.Fatal("no OpenNetLab traces in", dir)
	}
	for _, f := range files {
		tr, err := LoadTrace(f, FormatOpenNetLab)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		// Clipped: nothing above outlierFactor × the median.
		var mx int64
		for _, s := range tr.Segments {
			mx = max(mx, s.RateBps)
		}
		if mean := tr.MeanRateBps(); float64(mx) > 20*mean {
			t.Errorf("%s: max %d bit/s vs mean %.0f: outliers not clipped", filepath.Base(f), mx, mean)
		}
		t.Logf("%s: %d segments, %v, mean %.0f kbit/s, max %d kbit/s", filepath.Base(f), len(tr.Segments),
			tr.Duration(), tr.MeanRateBps()/1e3, mx/1000)
	}
	norway, _ := filepath.Glob(filepath.Join(dir, "norway", "*"))
	for _, f := range norway {
		tr, err := LoadTrace(f, FormatNorway)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		t.Logf("%s: %d samples, %v, mean %.2f Mbit/s", filepath.Base(f), len(tr.Segments), tr.Duration(), tr.MeanRateBps()/1e6)
	}
}

func TestTraceErrors(t *testing.T) {
	cases := []struct {
		format TraceFormat
		in     string
		field  string
	}{
		{FormatMahimahi, "", "mahimahi"},
		{FormatMahimahi, "0\n0\n", "mahimahi"},
		{FormatMahimahi, "5\n3\n", "mahimahi line 2"},
		{FormatMahimahi, "1\nx\n", "mahimahi line 2"},
		{FormatMahimahi, "-1\n", "mahimahi line 1"},
		{FormatOpenNetLab, "{", "opennetlab"},
		{FormatOpenNetLab, `{"uplink":{}}`, "opennetlab uplink.trace_pattern"},
		{FormatOpenNetLab, `{"uplink":{"trace_pattern":[{"capacity":100}]}}`, "opennetlab trace_pattern[0].duration"},
		{FormatOpenNetLab, `{"uplink":{"trace_pattern":[{"duration":100}]}}`, "opennetlab trace_pattern[0].capacity"},
		{FormatOpenNetLab, `{"uplink":{"trace_pattern":[{"duration":100,"capacity":10,"loss":1.5}]}}`, "opennetlab trace_pattern[0].loss"},
		{FormatOpenNetLab, `{"uplink":{"trace_pattern":[{"duration":100,"capacity":0}]}}`, "Trace.Segments"},
		{FormatNorway, "0 1\n0 2\n", "norway line 2"},
		{FormatNorway, "0 1 2\n", "norway line 1"},
		{FormatNorway, "0 -1\n", "norway line 1"},
	}
	for _, c := range cases {
		var err error
		switch c.format {
		case FormatMahimahi:
			_, err = ParseMahimahi(strings.NewReader(c.in))
		case FormatOpenNetLab:
			_, err = ParseOpenNetLab(strings.NewReader(c.in))
		case FormatNorway:
			_, err = ParseNorway(strings.NewReader(c.in))
		}
		if !errors.Is(err, ErrInvalidTrace) || !strings.HasPrefix(fmtErr(err), "netem: "+c.field+":") {
			t.Errorf("%s %q: error %v, want one naming %q", c.format, c.in, err, c.field)
		}
	}
	if _, err := LoadTrace("testdata/does-not-exist", FormatMahimahi); !errors.Is(err, ErrInvalidTrace) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := LoadTrace("testdata/tiny.mahimahi", "pcap"); !errors.Is(err, ErrInvalidTrace) {
		t.Errorf("unknown format: %v", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// fuzzTrace checks the contract every parser keeps: an error, or a trace a Link accepts and
// can run without panicking.
func fuzzTrace(t *testing.T, tr *Trace, err error) {
	if err != nil {
		if !errors.Is(err, ErrInvalidTrace) {
			t.Fatalf("error %v does not wrap ErrInvalidTrace", err)
		}
		return
	}
	l, err := NewLink(LinkConfig{Capacity: CapacityConfig{Trace: tr, QueueDelay: time.Second}}, 1)
	if err != nil {
		t.Fatalf("parsed trace rejected by NewLink: %v", err)
	}
	for i := range 200 {
		l.Send(time.Duration(i)*7*time.Millisecond, 1200)
	}
}

func addSeeds(f *testing.F, files ...string) {
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func FuzzParseMahimahi(f *testing.F) {
	addSeeds(f, "tiny.mahimahi")
	f.Add([]byte("0\n0\n1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ParseMahimahi(bytes.NewReader(data))
		fuzzTrace(t, tr, err)
	})
}

func FuzzParseOpenNetLab(f *testing.F) {
	addSeeds(f, "tiny_opennetlab.json")
	f.Add([]byte(`{"uplink":{"trace_pattern":[{"duration":1,"capacity":1}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ParseOpenNetLab(bytes.NewReader(data))
		fuzzTrace(t, tr, err)
	})
}

func FuzzParseNorway(f *testing.F) {
	addSeeds(f, "tiny.norway")
	f.Add([]byte("0 0.000001\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ParseNorway(bytes.NewReader(data))
		fuzzTrace(t, tr, err)
	})
}
