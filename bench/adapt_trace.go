package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parley-voice/parley/internal/netem"
)

// G.1050-style profiles of the benchmark: aliases of netem's profiles built on the structure of
// ITU-T G.1050 / TIA-921 (managed core, jitter impulses, route flaps, outages; the figures are
// netem's, not the standard's tables).
var g1050Profiles = map[string]string{
	"g1050-a": "well-managed",
	"g1050-b": "partly-managed",
	"g1050-c": "unmanaged",
}

// BenchProfileNames are the default links of the side-by-side benchmark: AdaptProfileNames plus
// the G.1050-style "g1050-b" (partly managed) and "g1050-c" (unmanaged).
func BenchProfileNames() []string {
	return append(AdaptProfileNames(), "g1050-b", "g1050-c")
}

// ProfileLink returns a named profile (AdaptProfile's names, the g1050-a/b/c aliases and every
// netem profile) as a benchmark link.
func ProfileLink(name string) (Link, error) {
	if _, err := AdaptProfile(name, time.Minute); err != nil {
		return Link{}, err
	}
	return Link{Name: name, Config: func(d time.Duration) (netem.LinkConfig, error) { return AdaptProfile(name, d) }}, nil
}

// Trace link defaults.
const (
	// DefaultTraceDelay is the one-way base delay given to a trace link (traces carry capacity
	// only; OpenNetLab's per-segment rtt/2 comes on top).
	DefaultTraceDelay = 40 * time.Millisecond
	// DefaultTraceQueue bounds the droptail queue in front of a trace's bottleneck.
	DefaultTraceQueue = 300 * time.Millisecond
	// AutoTraceMeanBps is the mean capacity TraceOptions.Scale = 0 scales a faster trace down to:
	// 1.5 × MaxUsefulWireBps, so that the trace's dips and outages, not its megabits, decide.
	AutoTraceMeanBps = 1.5 * MaxUsefulWireBps
	// traceWindow is the window Mahimahi delivery opportunities are binned into.
	traceWindow = 100 * time.Millisecond
)

// TraceOptions configures TraceLink. The zero value detects the format, scales automatically
// and uses the defaults above.
type TraceOptions struct {
	// Format is the file format; "" detects it from the extension (.json OpenNetLab,
	// .up/.down/.mahi Mahimahi) or else from the first line.
	Format netem.TraceFormat
	// Scale multiplies every capacity; 0 means auto: traces whose mean capacity exceeds
	// AutoTraceMeanBps are scaled down to that mean, others are left alone.
	Scale float64
	// BaseDelay is the one-way base delay (0: DefaultTraceDelay).
	BaseDelay time.Duration
	// QueueDelay bounds the queue (0: DefaultTraceQueue).
	QueueDelay time.Duration
	// Offset starts the run this far into the trace (modulo its length), to sample a long
	// trace elsewhere than at its start. The link's seed adds its own start on top
	// (netem.CapacityConfig.SeededStart), so each seed samples a different stretch.
	Offset time.Duration
}

// TraceLink loads a capacity trace file as a benchmark link named after the file (format
// prefixed, e.g. "mm:ATT-LTE-driving.up"): the capacity follows the trace (Mahimahi delivery
// opportunities binned into 100 ms segments) multiplied by the scale, looping. note says what
// was done (format, scale, mean capacity).
func TraceLink(path string, opt TraceOptions) (link Link, note string, err error) {
	if opt.Scale < 0 || opt.BaseDelay < 0 || opt.QueueDelay < 0 || opt.Offset < 0 {
		return Link{}, "", fmt.Errorf("%w: trace %s: negative scale, delay, queue or offset", ErrConfig, path)
	}
	format := opt.Format
	if format == "" {
		if format, err = detectTraceFormat(path); err != nil {
			return Link{}, "", err
		}
	}
	tr, err := netem.LoadTrace(path, format)
	if err != nil {
		return Link{}, "", fmt.Errorf("bench: trace %s: %w", path, err)
	}
	segs := (&netem.Trace{Segments: traceSegments(tr)}).Rotate(opt.Offset).Segments
	mean := tr.MeanRateBps()
	scale := opt.Scale
	if scale == 0 {
		scale = 1
		if mean > AutoTraceMeanBps {
			scale = AutoTraceMeanBps / mean
		}
	}
	for i := range segs {
		segs[i].RateBps = int64(float64(segs[i].RateBps) * scale)
	}
	scaled := &netem.Trace{Segments: segs}
	if scaled.MeanRateBps() <= 0 {
		return Link{}, "", fmt.Errorf("%w: trace %s has no capacity after scaling by %g", ErrConfig, path, scale)
	}
	base, queue := opt.BaseDelay, opt.QueueDelay
	if base == 0 {
		base = DefaultTraceDelay
	}
	if queue == 0 {
		queue = DefaultTraceQueue
	}
	// The seed picks where in the trace a run starts (after Offset), so that runs with
	// different seeds are different runs.
	cfg := netem.LinkConfig{Delay: netem.DelayConfig{Base: base},
		Capacity: netem.CapacityConfig{Trace: scaled, QueueDelay: queue, SeededStart: true}}
	if err := cfg.Validate(); err != nil {
		return Link{}, "", fmt.Errorf("bench: trace %s: %w", path, err)
	}
	prefix := map[netem.TraceFormat]string{netem.FormatMahimahi: "mm", netem.FormatOpenNetLab: "onl", netem.FormatNorway: "no"}[format]
	name := prefix + ":" + filepath.Base(path)
	note = fmt.Sprintf("%s: %s trace, %v loop from %v + a seeded start, mean %.0f kb/s scaled ×%.4g to %.1f kb/s, base delay %v, queue %v",
		name, format, tr.Duration().Round(time.Second), opt.Offset, mean/1000, scale, scaled.MeanRateBps()/1000, base, queue)
	return Link{Name: name, Config: func(time.Duration) (netem.LinkConfig, error) { return cfg, nil }}, note, nil
}

// traceSegments returns the trace as segments (a copy): Mahimahi opportunities binned into
// traceWindow segments.
func traceSegments(t *netem.Trace) []netem.TraceSegment {
	if len(t.Segments) > 0 {
		return append([]netem.TraceSegment(nil), t.Segments...)
	}
	n := int((t.Period + traceWindow - 1) / traceWindow)
	counts := make([]int, max(n, 1))
	for _, o := range t.Opportunities {
		counts[min(int(o/traceWindow), len(counts)-1)]++
	}
	segs := make([]netem.TraceSegment, len(counts))
	for i, c := range counts {
		d := traceWindow
		if i == len(counts)-1 && t.Period > 0 {
			d = t.Period - time.Duration(i)*traceWindow
		}
		if d <= 0 {
			d = traceWindow
		}
		segs[i] = netem.TraceSegment{Duration: d, RateBps: int64(float64(c*netem.OpportunityBytes*8) / d.Seconds())}
	}
	return segs
}

// detectTraceFormat guesses a trace file's format from its extension, else its first line.
func detectTraceFormat(path string) (netem.TraceFormat, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return netem.FormatOpenNetLab, nil
	case ".up", ".down", ".mahi", ".mahimahi":
		return netem.FormatMahimahi, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("bench: trace: %w", err)
	}
	defer f.Close()
	return sniffTraceFormat(f, path)
}

// sniffTraceFormat decides from the first non-empty line: "{" OpenNetLab, one integer
// Mahimahi, two numbers Norway.
func sniffTraceFormat(r io.Reader, name string) (netem.TraceFormat, error) {
	sc := bufio.NewScanner(io.LimitReader(r, 1<<16))
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		switch f := strings.Fields(string(line)); {
		case line[0] == '{':
			return netem.FormatOpenNetLab, nil
		case len(f) == 1 && isDigits(f[0]):
			return netem.FormatMahimahi, nil
		case len(f) == 2:
			return netem.FormatNorway, nil
		}
		break
	}
	return "", fmt.Errorf("%w: trace %s: cannot tell its format (use --trace-format mahimahi|opennetlab|norway)", ErrConfig, name)
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
