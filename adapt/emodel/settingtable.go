package emodel

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SettingKey names one Opus sender setting of a SettingTable: everything but the bitrate
// selects a curve, and the bitrate a point on it.
type SettingKey struct {
	BitrateBps    int           // Opus target bitrate (VBR), > 0
	Frame         time.Duration // frame duration, > 0
	FEC           bool          // in-band FEC on (with a loss hint of at least 5 %)
	REDDepth      int           // RFC 2198 redundant frames per packet, 0..3
	REDLowRateBps int           // 0: the copies repeat the primary; else their bitrate
}

// SettingEntry is the fitted impairment of one setting on the wideband (G.107.1) scale: Ie from
// the decoded audio's quality at zero loss, and Bpl under random and under bursty network loss,
// with the setting's own recovery (in-band FEC, RED copies, concealment) folded in: the loss
// that goes with these Bpl values is the network loss before any recovery.
type SettingEntry struct {
	SettingKey
	Ie         float64 // in [0, 129]
	BplRandom  float64 // ≥ 1
	BplBursty  float64 // ≥ 1
	PESQClean  float64 // the PESQ-WB Ie came from (information only; 0 when unknown)
	Points     int     // lossy measurements behind the Bpl fits (information only)
	RMSERandom float64 // fit errors in R points (information only)
	RMSEBursty float64
}

// curveKey is the key without the bitrate.
func (k SettingKey) curveKey() SettingKey { k.BitrateBps = 0; return k }

// compareKey orders keys by frame, FEC, RED depth, low rate and bitrate.
func compareKey(a, b SettingKey) int {
	return cmp.Or(cmp.Compare(a.Frame, b.Frame), boolCmp(a.FEC, b.FEC), cmp.Compare(a.REDDepth, b.REDDepth),
		cmp.Compare(a.REDLowRateBps, b.REDLowRateBps), cmp.Compare(a.BitrateBps, b.BitrateBps))
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// SettingTable is a validated, immutable table of per-setting Opus impairments, as refit by
// `parley bench refit` from PESQ-WB sweeps (ParleyOpusTable is the checked-in one). Every value
// is on the wideband scale (R0 = Rmax = 129). Safe for concurrent use.
type SettingTable struct {
	version string
	entries []SettingEntry // sorted by compareKey
}

// Setting-table limits.
const (
	maxSettingEntries  = 10000
	maxSettingREDDepth = 3
)

// NewSettingTable validates entries and returns a table labelled version (non-empty). Every
// entry needs a positive bitrate and frame, RED depth 0..3, a low rate ≥ 0 (0 with RED depth 0),
// Ie in [0, 129], finite Bpl values ≥ 1 and finite, non-negative information fields; a key may
// appear once. The entries are copied.
func NewSettingTable(version string, entries []SettingEntry) (*SettingTable, error) {
	if strings.TrimSpace(version) == "" {
		return nil, fmt.Errorf("%w: empty version", ErrSettingTable)
	}
	if len(entries) == 0 || len(entries) > maxSettingEntries {
		return nil, fmt.Errorf("%w: %d entries (want 1..%d)", ErrSettingTable, len(entries), maxSettingEntries)
	}
	es := slices.Clone(entries)
	for i, e := range es {
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("%w: entry %d: %w", ErrSettingTable, i, err)
		}
	}
	slices.SortFunc(es, func(a, b SettingEntry) int { return compareKey(a.SettingKey, b.SettingKey) })
	for i := 1; i < len(es); i++ {
		if es[i-1].SettingKey == es[i].SettingKey {
			return nil, fmt.Errorf("%w: duplicate entry %+v", ErrSettingTable, es[i].SettingKey)
		}
	}
	return &SettingTable{version: version, entries: es}, nil
}

func (e SettingEntry) validate() error {
	switch {
	case e.BitrateBps <= 0:
		return fmt.Errorf("%w: %d b/s", ErrBitrate, e.BitrateBps)
	case e.Frame <= 0:
		return fmt.Errorf("frame %v: want > 0", e.Frame)
	case e.REDDepth < 0 || e.REDDepth > maxSettingREDDepth:
		return fmt.Errorf("RED depth %d: want 0..%d", e.REDDepth, maxSettingREDDepth)
	case e.REDLowRateBps < 0 || (e.REDDepth == 0 && e.REDLowRateBps != 0):
		return fmt.Errorf("RED low rate %d b/s with depth %d", e.REDLowRateBps, e.REDDepth)
	case !finite(e.Ie) || e.Ie < 0 || e.Ie > RmaxWideband:
		return invalid(ErrIe, "Ie", e.Ie)
	case !finite(e.BplRandom) || e.BplRandom < 1:
		return invalid(ErrBpl, "Bpl (random)", e.BplRandom)
	case !finite(e.BplBursty) || e.BplBursty < 1:
		return invalid(ErrBpl, "Bpl (bursty)", e.BplBursty)
	case e.Points < 0 || !finite(e.PESQClean) || e.PESQClean < 0 || !finite(e.RMSERandom) || e.RMSERandom < 0 ||
		!finite(e.RMSEBursty) || e.RMSEBursty < 0:
		return fmt.Errorf("information fields out of range (PESQ %v, points %d, RMSE %v/%v)", e.PESQClean, e.Points,
			e.RMSERandom, e.RMSEBursty)
	}
	return nil
}

// Version returns the table's label ("" for nil).
func (t *SettingTable) Version() string {
	if t == nil {
		return ""
	}
	return t.version
}

// Entries returns a copy of the entries, sorted by frame, FEC, RED depth, low rate, bitrate.
func (t *SettingTable) Entries() []SettingEntry {
	if t == nil {
		return nil
	}
	return slices.Clone(t.entries)
}

// curve returns the entries sharing k's curve key, sorted by bitrate.
func (t *SettingTable) curve(k SettingKey) []SettingEntry {
	ck := k.curveKey()
	lo, _ := slices.BinarySearchFunc(t.entries, ck, func(e SettingEntry, k SettingKey) int { return compareKey(e.SettingKey, k) })
	hi := lo
	for hi < len(t.entries) && t.entries[hi].curveKey() == ck {
		hi++
	}
	return t.entries[lo:hi]
}

// Has reports whether the table has a curve for k's frame, FEC, RED depth and low rate.
func (t *SettingTable) Has(k SettingKey) bool { return t != nil && len(t.curve(k)) > 0 }

// Impairment returns the impairment of setting k as a wideband, VBR Impairment (BplBursty
// applies at BurstR ≥ BurstyReference, see Impairment.Bpl). Between two measured bitrates of the
// curve every value is interpolated linearly; outside them those of the nearest end are used and
// Clamped is set. It returns ErrSettingTable when the table has no curve for k (see Has).
func (t *SettingTable) Impairment(k SettingKey) (Impairment, error) {
	if t == nil {
		return Impairment{}, fmt.Errorf("%w: nil table", ErrSettingTable)
	}
	if k.BitrateBps <= 0 {
		return Impairment{}, fmt.Errorf("%w: %d b/s", ErrBitrate, k.BitrateBps)
	}
	c := t.curve(k)
	if len(c) == 0 {
		return Impairment{}, fmt.Errorf("%w: no curve for %v frames, FEC %v, RED depth %d, low rate %d in table %q",
			ErrSettingTable, k.Frame, k.FEC, k.REDDepth, k.REDLowRateBps, t.version)
	}
	im := Impairment{Band: Wideband, RateControl: VBR, BitrateBps: k.BitrateBps}
	set := func(e SettingEntry) { im.Ie, im.BplRandom, im.BplBursty = e.Ie, e.BplRandom, e.BplBursty }
	i, exact := slices.BinarySearchFunc(c, k.BitrateBps, func(e SettingEntry, b int) int { return cmp.Compare(e.BitrateBps, b) })
	switch {
	case exact:
		set(c[i])
	case i == 0:
		set(c[0])
		im.Clamped = true
	case i == len(c):
		set(c[len(c)-1])
		im.Clamped = true
	default:
		a, b := c[i-1], c[i]
		f := float64(k.BitrateBps-a.BitrateBps) / float64(b.BitrateBps-a.BitrateBps)
		lerp := func(x, y float64) float64 { return x + f*(y-x) }
		im.Ie = lerp(a.Ie, b.Ie)
		im.BplRandom = lerp(a.BplRandom, b.BplRandom)
		im.BplBursty = lerp(a.BplBursty, b.BplBursty)
	}
	return im, nil
}

// settingHeader is the column header of the data file.
var settingHeader = []string{"bitrate_bps", "frame_ms", "fec", "red_depth", "red_low_rate_bps", "ie", "bpl_random",
	"bpl_bursty", "pesq_wb_clean", "points", "rmse_random", "rmse_bursty"}

// maxSettingFileBytes bounds the data file ParseSettingTable reads.
const maxSettingFileBytes = 4 << 20

// WriteCSV writes t as the data file ParseSettingTable reads: the comment lines (each prefixed
// with "# "), a "# version: " line, the header and one row per entry.
func (t *SettingTable) WriteCSV(w io.Writer, comments []string) error {
	if t == nil {
		return fmt.Errorf("%w: nil table", ErrSettingTable)
	}
	bw := bufio.NewWriter(w)
	for _, c := range comments {
		for _, l := range strings.Split(c, "\n") {
			fmt.Fprintf(bw, "# %s\n", l)
		}
	}
	fmt.Fprintf(bw, "# version: %s\n", t.version)
	cw := csv.NewWriter(bw)
	_ = cw.Write(settingHeader)
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	for _, e := range t.entries {
		_ = cw.Write([]string{strconv.Itoa(e.BitrateBps), strconv.FormatInt(e.Frame.Milliseconds(), 10),
			strconv.FormatBool(e.FEC), strconv.Itoa(e.REDDepth), strconv.Itoa(e.REDLowRateBps), f(e.Ie), f(e.BplRandom),
			f(e.BplBursty), f(e.PESQClean), strconv.Itoa(e.Points), f(e.RMSERandom), f(e.RMSEBursty)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// ParseSettingTable reads a data file written by WriteCSV: lines starting with '#' are comments,
// one of which must be "# version: LABEL"; then the header row (exactly the columns WriteCSV
// writes) and one row per entry, frame in whole milliseconds. Anything else — a missing version
// or header, a wrong field count, a malformed number, an entry NewSettingTable rejects, more than
// 4 MiB — returns an error wrapping ErrSettingTable that names the line. It never panics.
func ParseSettingTable(data []byte) (*SettingTable, error) {
	if len(data) > maxSettingFileBytes {
		return nil, fmt.Errorf("%w: %d bytes (at most %d)", ErrSettingTable, len(data), maxSettingFileBytes)
	}
	var (
		version string
		body    bytes.Buffer
		lines   []int // file line of each body line
	)
	for i, l := range bytes.Split(data, []byte("\n")) {
		l = bytes.TrimRight(l, "\r")
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] == '#' {
			if v, ok := strings.CutPrefix(strings.TrimSpace(string(t[1:])), "version:"); ok {
				if version != "" {
					return nil, fmt.Errorf("%w: line %d: a second version line", ErrSettingTable, i+1)
				}
				version = strings.TrimSpace(v)
			}
			continue
		}
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		body.Write(l)
		body.WriteByte('\n')
		lines = append(lines, i+1)
	}
	if version == "" {
		return nil, fmt.Errorf("%w: no \"# version: LABEL\" line", ErrSettingTable)
	}
	cr := csv.NewReader(&body)
	cr.FieldsPerRecord = len(settingHeader)
	cr.ReuseRecord = true
	var es []SettingEntry
	for row := 0; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line := 0
		if row < len(lines) {
			line = lines[row]
		}
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrSettingTable, line, err)
		}
		if row == 0 {
			if !slices.Equal(rec, settingHeader) {
				return nil, fmt.Errorf("%w: line %d: header %q (want %q)", ErrSettingTable, line, rec, settingHeader)
			}
			continue
		}
		if len(es) >= maxSettingEntries {
			return nil, fmt.Errorf("%w: more than %d entries", ErrSettingTable, maxSettingEntries)
		}
		e, err := parseSettingRow(rec)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrSettingTable, line, err)
		}
		es = append(es, e)
	}
	return NewSettingTable(version, es)
}

// parseSettingRow parses one data row (len(rec) == len(settingHeader)).
func parseSettingRow(rec []string) (SettingEntry, error) {
	var e SettingEntry
	ints := []*int{&e.BitrateBps, nil, nil, &e.REDDepth, &e.REDLowRateBps}
	var frameMs int
	ints[1] = &frameMs
	for i, p := range ints {
		if p == nil {
			continue
		}
		v, err := strconv.Atoi(rec[i])
		if err != nil {
			return e, fmt.Errorf("%s %q: not an integer", settingHeader[i], rec[i])
		}
		*p = v
	}
	if frameMs <= 0 || frameMs > 1000 {
		return e, fmt.Errorf("frame_ms %d: want 1..1000", frameMs)
	}
	e.Frame = time.Duration(frameMs) * time.Millisecond
	fec, err := strconv.ParseBool(rec[2])
	if err != nil {
		return e, fmt.Errorf("fec %q: not a boolean", rec[2])
	}
	e.FEC = fec
	for i, p := range []*float64{&e.Ie, &e.BplRandom, &e.BplBursty, &e.PESQClean} {
		v, err := strconv.ParseFloat(rec[5+i], 64)
		if err != nil {
			return e, fmt.Errorf("%s %q: not a number", settingHeader[5+i], rec[5+i])
		}
		*p = v
	}
	if e.Points, err = strconv.Atoi(rec[9]); err != nil {
		return e, fmt.Errorf("points %q: not an integer", rec[9])
	}
	for i, p := range []*float64{&e.RMSERandom, &e.RMSEBursty} {
		v, err := strconv.ParseFloat(rec[10+i], 64)
		if err != nil {
			return e, fmt.Errorf("%s %q: not a number", settingHeader[10+i], rec[10+i])
		}
		*p = v
	}
	return e, e.validate()
}
