package netem

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// OpportunityBytes is the size of one Mahimahi delivery opportunity.
const OpportunityBytes = 1500

// Limits that keep a hostile trace file from exhausting memory or time.
const (
	maxTraceBytes   = 64 << 20
	maxTraceEntries = 8 << 20
)

// outlierFactor: OpenNetLab capacities above outlierFactor × the median non-zero capacity are
// measurement outliers (some published traces contain 80 Gbit/s samples in a 3 Mbit/s trace);
// they are clipped to the largest capacity at or below that threshold.
const outlierFactor = 4

// TraceFormat names a trace file format.
type TraceFormat string

const (
	// FormatMahimahi: one line per 1500-byte delivery opportunity, the value being integer
	// milliseconds since the start; repeated values are several opportunities in that
	// millisecond; the trace loops at its last timestamp.
	FormatMahimahi TraceFormat = "mahimahi"
	// FormatOpenNetLab: JSON {"type":…, "uplink":{"trace_pattern":[{"duration": ms,
	// "capacity": kbit/s, "loss": fraction, "rtt": ms, "jitter": ms}, …]}}; the pattern loops.
	FormatOpenNetLab TraceFormat = "opennetlab"
	// FormatNorway: lines "<time s> <throughput Mbit/s>" (tab or space separated), each sample
	// held until the next; the last is held for the mean sample interval; the trace loops.
	FormatNorway TraceFormat = "norway"
)

// TraceFormats lists the formats LoadTrace accepts.
func TraceFormats() []TraceFormat {
	return []TraceFormat{FormatMahimahi, FormatOpenNetLab, FormatNorway}
}

// Trace is a capacity trace that loops. Exactly one of Opportunities (Mahimahi) and Segments
// is set. A Trace is immutable once built and may be shared by many links.
type Trace struct {
	Opportunities []time.Duration // sorted delivery opportunities within one period
	Period        time.Duration   // loop length of Opportunities
	Segments      []TraceSegment  // piecewise-constant conditions, in order
}

// TraceSegment is one piece of a segment trace. Loss, Delay and Jitter come from OpenNetLab's
// optional per-segment fields and apply to packets offered during the segment; zero means none.
type TraceSegment struct {
	Duration time.Duration
	RateBps  int64
	Loss     float64       // random loss probability 0..1
	Delay    time.Duration // extra one-way delay (OpenNetLab rtt/2)
	Jitter   time.Duration // extra delay uniform in [0, Jitter)
}

// Duration is the length of one loop of the trace.
func (t *Trace) Duration() time.Duration {
	if len(t.Opportunities) > 0 {
		return t.Period
	}
	var d time.Duration
	for _, s := range t.Segments {
		d += s.Duration
	}
	return d
}

// MeanRateBps is the average capacity over one loop, bit/s.
func (t *Trace) MeanRateBps() float64 {
	d := t.Duration()
	if d <= 0 {
		return 0
	}
	if len(t.Opportunities) > 0 {
		return float64(len(t.Opportunities)) * OpportunityBytes * 8 / d.Seconds()
	}
	var bits float64
	for _, s := range t.Segments {
		bits += float64(s.RateBps) * s.Duration.Seconds()
	}
	return bits / d.Seconds()
}

func (t *Trace) validate() error {
	switch {
	case len(t.Opportunities) > 0 && len(t.Segments) > 0:
		return traceErr("Trace", "both opportunities and segments set")
	case len(t.Opportunities) > 0:
		if t.Period <= 0 {
			return traceErr("Trace.Period", "must be > 0, got %v", t.Period)
		}
		if !slices.IsSorted(t.Opportunities) || t.Opportunities[0] < 0 ||
			t.Opportunities[len(t.Opportunities)-1] > t.Period {
			return traceErr("Trace.Opportunities", "must be sorted within [0, Period]")
		}
		return nil
	case len(t.Segments) > 0:
		var capacity bool
		for i, s := range t.Segments {
			if s.Duration <= 0 {
				return traceErr("Trace.Segments", "segment %d: duration %v must be > 0", i, s.Duration)
			}
			if s.RateBps < 0 || s.Delay < 0 || s.Jitter < 0 || math.IsNaN(s.Loss) || s.Loss < 0 || s.Loss > 1 {
				return traceErr("Trace.Segments", "segment %d: negative or out-of-range value", i)
			}
			capacity = capacity || s.RateBps > 0
		}
		if !capacity {
			return traceErr("Trace.Segments", "zero capacity throughout")
		}
		return nil
	}
	return traceErr("Trace", "empty")
}

// LoadTrace reads a trace file in the given format.
func LoadTrace(path string, format TraceFormat) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, traceErr("file", "%v", err)
	}
	defer f.Close()
	switch format {
	case FormatMahimahi:
		return ParseMahimahi(f)
	case FormatOpenNetLab:
		return ParseOpenNetLab(f)
	case FormatNorway:
		return ParseNorway(f)
	}
	return nil, traceErr("format", "unknown trace format %q (want mahimahi, opennetlab or norway)", format)
}

// ParseMahimahi reads a Mahimahi trace.
func ParseMahimahi(r io.Reader) (*Trace, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxTraceBytes))
	var opps []time.Duration
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		ms, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return nil, traceErr("mahimahi line "+strconv.Itoa(line), "want milliseconds as an integer, got %q", s)
		}
		t := time.Duration(ms) * time.Millisecond
		if n := len(opps); n > 0 && t < opps[n-1] {
			return nil, traceErr("mahimahi line "+strconv.Itoa(line), "timestamp %d ms goes backwards", ms)
		}
		if len(opps) == maxTraceEntries {
			return nil, traceErr("mahimahi", "more than %d opportunities", maxTraceEntries)
		}
		opps = append(opps, t)
	}
	if err := sc.Err(); err != nil {
		return nil, traceErr("mahimahi", "read: %v", err)
	}
	if len(opps) == 0 {
		return nil, traceErr("mahimahi", "no delivery opportunities")
	}
	period := opps[len(opps)-1]
	if period <= 0 {
		return nil, traceErr("mahimahi", "last timestamp must be > 0 ms (the trace loops there)")
	}
	return &Trace{Opportunities: opps, Period: period}, nil
}

type onlPattern struct {
	Duration *float64 `json:"duration"`
	Capacity *float64 `json:"capacity"`
	Loss     *float64 `json:"loss"`
	RTT      *float64 `json:"rtt"`
	Jitter   *float64 `json:"jitter"`
}

type onlFile struct {
	Type   string `json:"type"`
	Uplink *struct {
		TracePattern []onlPattern `json:"trace_pattern"`
	} `json:"uplink"`
}

// ParseOpenNetLab reads an OpenNetLab (AlphaRTC gym) JSON trace: the uplink trace_pattern.
// Outlier capacities are clipped (see outlierFactor).
func ParseOpenNetLab(r io.Reader) (*Trace, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxTraceBytes))
	if err != nil {
		return nil, traceErr("opennetlab", "read: %v", err)
	}
	var f onlFile
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, traceErr("opennetlab", "JSON: %v", err)
	}
	if f.Uplink == nil || len(f.Uplink.TracePattern) == 0 {
		return nil, traceErr("opennetlab uplink.trace_pattern", "missing or empty")
	}
	segs := make([]TraceSegment, len(f.Uplink.TracePattern))
	ms := func(i int, name string, v *float64, required bool) (time.Duration, error) {
		if v == nil {
			if required {
				return 0, traceErr(fmt.Sprintf("opennetlab trace_pattern[%d].%s", i, name), "missing")
			}
			return 0, nil
		}
		if math.IsNaN(*v) || *v < 0 || *v > 1e9 {
			return 0, traceErr(fmt.Sprintf("opennetlab trace_pattern[%d].%s", i, name), "%v ms out of range", *v)
		}
		return time.Duration(*v * float64(time.Millisecond)), nil
	}
	for i, p := range f.Uplink.TracePattern {
		var s TraceSegment
		if s.Duration, err = ms(i, "duration", p.Duration, true); err != nil {
			return nil, err
		}
		if s.Duration <= 0 {
			return nil, traceErr(fmt.Sprintf("opennetlab trace_pattern[%d].duration", i), "must be > 0")
		}
		if p.Capacity == nil || math.IsNaN(*p.Capacity) || *p.Capacity < 0 || *p.Capacity > 1e12 {
			return nil, traceErr(fmt.Sprintf("opennetlab trace_pattern[%d].capacity", i), "missing or out of range (kbit/s)")
		}
		s.RateBps = int64(*p.Capacity * 1000)
		if p.Loss != nil {
			if math.IsNaN(*p.Loss) || *p.Loss < 0 || *p.Loss > 1 {
				return nil, traceErr(fmt.Sprintf("opennetlab trace_pattern[%d].loss", i), "%v outside 0..1", *p.Loss)
			}
			s.Loss = *p.Loss
		}
		rtt, err := ms(i, "rtt", p.RTT, false)
		if err != nil {
			return nil, err
		}
		s.Delay = rtt / 2
		if s.Jitter, err = ms(i, "jitter", p.Jitter, false); err != nil {
			return nil, err
		}
		segs[i] = s
	}
	clipOutliers(segs)
	t := &Trace{Segments: segs}
	if err := t.validate(); err != nil {
		return nil, err
	}
	return t, nil
}

func clipOutliers(segs []TraceSegment) {
	var nz []int64
	for _, s := range segs {
		if s.RateBps > 0 {
			nz = append(nz, s.RateBps)
		}
	}
	if len(nz) < 3 {
		return
	}
	slices.Sort(nz)
	limit := nz[len(nz)/2] * outlierFactor
	var clip int64
	for _, v := range nz {
		if v <= limit {
			clip = v
		}
	}
	for i := range segs {
		if segs[i].RateBps > limit {
			segs[i].RateBps = clip
		}
	}
}

// ParseNorway reads a Norway HSDPA trace ("<time s> <Mbit/s>" per line).
func ParseNorway(r io.Reader) (*Trace, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxTraceBytes))
	var times []float64
	var rates []int64
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		where := "norway line " + strconv.Itoa(line)
		if len(fields) != 2 {
			return nil, traceErr(where, "want \"<time s> <Mbit/s>\", got %d fields", len(fields))
		}
		ts, err1 := strconv.ParseFloat(fields[0], 64)
		mbps, err2 := strconv.ParseFloat(fields[1], 64)
		if err1 != nil || err2 != nil || math.IsNaN(ts) || math.IsNaN(mbps) || ts < 0 || ts > 1e7 || mbps < 0 || mbps > 1e6 {
			return nil, traceErr(where, "bad or out-of-range numbers %q", sc.Text())
		}
		if n := len(times); n > 0 && ts <= times[n-1] {
			return nil, traceErr(where, "time %v s does not increase", ts)
		}
		if len(times) == maxTraceEntries {
			return nil, traceErr("norway", "more than %d samples", maxTraceEntries)
		}
		times = append(times, ts)
		rates = append(rates, int64(mbps*1e6))
	}
	if err := sc.Err(); err != nil {
		return nil, traceErr("norway", "read: %v", err)
	}
	if len(times) == 0 {
		return nil, traceErr("norway", "no samples")
	}
	segs := make([]TraceSegment, len(times))
	for i := range times {
		var d float64
		switch {
		case i+1 < len(times):
			d = times[i+1] - times[i]
		case len(times) > 1:
			d = (times[i] - times[0]) / float64(len(times)-1)
		default:
			d = 1
		}
		segs[i] = TraceSegment{Duration: max(time.Duration(d*float64(time.Second)), time.Microsecond), RateBps: rates[i]}
	}
	t := &Trace{Segments: segs}
	if err := t.validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// Rotate returns a copy of t that starts offset into it (modulo its length): a segment trace
// splits the segment the offset falls in, an opportunity trace shifts its opportunities. The
// copy loops like t. t is not modified.
func (t *Trace) Rotate(offset time.Duration) *Trace {
	total := t.Duration()
	if total <= 0 || offset%total == 0 {
		c := *t
		return &c
	}
	offset %= total
	if offset < 0 {
		offset += total
	}
	if len(t.Opportunities) > 0 {
		i := sort.Search(len(t.Opportunities), func(i int) bool { return t.Opportunities[i] >= offset })
		opps := make([]time.Duration, 0, len(t.Opportunities))
		for _, o := range t.Opportunities[i:] {
			opps = append(opps, o-offset)
		}
		for _, o := range t.Opportunities[:i] {
			opps = append(opps, o+total-offset)
		}
		return &Trace{Opportunities: opps, Period: total}
	}
	for i, s := range t.Segments {
		if offset < s.Duration {
			head, tail := s, s
			head.Duration = offset
			tail.Duration = s.Duration - offset
			out := make([]TraceSegment, 0, len(t.Segments)+1)
			out = append(out, tail)
			out = append(out, t.Segments[i+1:]...)
			out = append(out, t.Segments[:i]...)
			if head.Duration > 0 {
				out = append(out, head)
			}
			return &Trace{Segments: out}
		}
		offset -= s.Duration
	}
	c := *t
	return &c
}

// traceStartStep is the granularity of a seeded trace start (CapacityConfig.SeededStart).
const traceStartStep = 100 * time.Millisecond

// seededStart is the offset into a trace of length total at which a link seeded with seed
// starts when CapacityConfig.SeededStart is set: uniform over the trace in traceStartStep steps.
func seededStart(seed uint64, total time.Duration) time.Duration {
	n := int64(total / traceStartStep)
	if n <= 1 {
		return 0
	}
	return time.Duration(newRand(seed, streamTraceStart).Int64N(n)) * traceStartStep
}
