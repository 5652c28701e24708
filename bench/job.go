package bench

import (
	"fmt"
	"strings"
	"time"

	"github.com/parley-voice/parley/internal/netem"
)

// Link is one link of the benchmark: a name and a configuration (or a function building it
// for the run's length, for schedules that scale with it).
type Link struct {
	Name   string
	Config func(d time.Duration) (netem.LinkConfig, error)
}

// Job is one run: a strategy (or one point of the hindsight grid) on one link, clip and seed.
// The same link configuration and seed are used for every strategy; the reverse path (the
// receiver's feedback) is ReverseLink of it, seeded with netem.ReverseSeed(Seed).
type Job struct {
	Link     Link
	Clip     Clip
	Seed     uint64
	Repeat   int
	Strategy string
	// Fixed is the grid point when Strategy is StrategyOracle.
	Fixed FixedSetting
	// Adapt configures the strategies' encoder complexity, and the controller of StrategyAdapt
	// and StrategyAdaptNetEq (zero: the defaults). A Controller set here is consumed by the
	// run: give each job its own.
	Adapt AdaptConfig
}

// Row is one run's outcome.
type Row struct {
	Profile, Clip, Strategy string
	Seed                    uint64
	RunMetrics
	Fixed   FixedSetting // StrategyOracle: the grid point
	Changes int          // decisions that changed the settings
	// PESQReps is the PESQ-WB of each repetition of the clip, in the order sent (PESQ is their
	// mean): the first holds the call's first seconds, where the adaptation has the least to go
	// on.
	PESQReps []float64
	Timeline *Timeline
}

// OracleGrid returns the hindsight grid of the given size (PickOracle adds the fixed32 and
// fixed32+fec baselines to it): "full" is bitrate {16, 24, 32, 48}
// kb/s × FEC off/on × RED depth {0, 1, 2} × buffer {40, 80, 120} ms (72 points); "medium" is
// bitrate {16, 32, 48} × {plain, FEC, RED 1, RED 2} × buffer {40, 80, 120} (36); "small" is
// bitrate {24, 32, 48} × {FEC, RED 2} × buffer {40, 80, 120} (18); "tiny" is 32 kb/s × {FEC,
// RED 2} × buffer {40, 80, 120} (6); "none" is empty.
func OracleGrid(size string) ([]FixedSetting, error) {
	type red struct {
		fec   bool
		depth int
	}
	var rates []int
	var reds []red
	switch size {
	case "none":
		return nil, nil
	case "tiny":
		rates, reds = []int{32000}, []red{{true, 0}, {false, 2}}
	case "small":
		rates, reds = []int{24000, 32000, 48000}, []red{{true, 0}, {false, 2}}
	case "medium":
		rates, reds = []int{16000, 32000, 48000}, []red{{false, 0}, {true, 0}, {false, 1}, {false, 2}}
	case "full":
		rates = []int{16000, 24000, 32000, 48000}
		for _, f := range []bool{false, true} {
			for d := range 3 {
				reds = append(reds, red{f, d})
			}
		}
	default:
		return nil, fmt.Errorf("%w: oracle grid %q (want none, tiny, small, medium or full)", ErrConfig, size)
	}
	var g []FixedSetting
	for _, r := range rates {
		for _, x := range reds {
			for _, b := range []time.Duration{40, 80, 120} {
				g = append(g, FixedSetting{BitrateBps: r, FEC: x.fec, REDDepth: x.depth, Buffer: b * time.Millisecond})
			}
		}
	}
	return g, nil
}

// String names a fixed setting: "32k fec red2 80ms".
func (f FixedSetting) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%dk", f.BitrateBps/1000)
	if f.FEC {
		b.WriteString(" fec")
	}
	if f.REDDepth > 0 {
		fmt.Fprintf(&b, " red%d", f.REDDepth)
	}
	fmt.Fprintf(&b, " %dms", f.Buffer.Milliseconds())
	return b.String()
}

// benchSpeech is the clip repeated repeat times plus a second of silence, so that every
// repetition is sent whole whatever frame sizes a sender ends with.
func benchSpeech(clip Clip, repeat int) []float32 {
	repeat = max(repeat, 1)
	speech := make([]float32, 0, repeat*len(clip.Samples)+SampleRateHz)
	for range repeat {
		speech = append(speech, clip.Samples...)
	}
	return append(speech, make([]float32, SampleRateHz)...)
}

// RunJob runs one job: its strategy (from the Strategies table) over the job's link with real
// libopus, PESQ-WB on each repetition of the clip, and every metric of RunMetrics.
func RunJob(job Job) (Row, error) {
	st, err := LookupStrategy(job.Strategy)
	if err != nil {
		return Row{}, err
	}
	speech := benchSpeech(job.Clip, job.Repeat)
	d := time.Duration(len(speech)) * time.Second / SampleRateHz
	cfg, err := job.Link.Config(d)
	if err != nil {
		return Row{}, err
	}
	link, err := netem.NewLink(cfg, job.Seed)
	if err != nil {
		return Row{}, err
	}
	reverse, err := netem.NewLink(ReverseLink(cfg), netem.ReverseSeed(job.Seed))
	if err != nil {
		return Row{}, err
	}
	tl := &Timeline{SpeechEnd: time.Duration(max(job.Repeat, 1)*len(job.Clip.Samples)) * time.Second / SampleRateHz}
	res, err := runStrategy(st, job, speech, link, reverse, tl)
	if err != nil {
		return Row{}, fmt.Errorf("bench: %s on %s: %w", job.Strategy, job.Link.Name, err)
	}
	row := Row{Profile: job.Link.Name, Clip: job.Clip.Name, Strategy: job.Strategy, Seed: job.Seed,
		RunMetrics: runMetrics(tl, res.Result), Fixed: job.Fixed, Changes: res.Changes, Timeline: tl}
	if row.PESQ, row.PESQReps, err = scoreRepeats(res.Result, len(job.Clip.Samples), job.Repeat); err != nil {
		return Row{}, fmt.Errorf("bench: %s %s: %w", job.Link.Name, job.Strategy, err)
	}
	return row, nil
}

// scoreRepeats is the mean PESQ-WB over the repetitions (of n samples each) that were sent whole,
// and the PESQ-WB of each of them in order. Each repetition is scored against the stretch of the
// played audio that holds it: Received is aligned to Sent at the start of playout, and an
// adaptive buffer that has since stretched time plays a repetition earlier or later than that;
// cut at the same samples as the sent one, its window would lose the onset or the end of an
// utterance to the next or previous window, which PESQ scores as missing speech. The window is
// moved by repeatLag.
func scoreRepeats(res Result, n, repeat int) (float64, []float64, error) {
	var reps []float64
	deg := make([]float32, n)
	for i := range max(repeat, 1) {
		if (i+1)*n > len(res.Sent) {
			break
		}
		ref := res.Sent[i*n : (i+1)*n]
		shifted(deg, res.Received, i*n+repeatLag(ref, res.Received, i*n))
		q, err := Score(ref, deg)
		if err != nil {
			return 0, nil, err
		}
		reps = append(reps, q.WB)
	}
	if len(reps) == 0 {
		return 0, nil, fmt.Errorf("%w: nothing to score", ErrConfig)
	}
	return mean(reps), reps, nil
}

// PickOracle reduces the hindsight-grid rows of each profile, clip and seed to the one with the
// best PESQ-WB (the first on ties), labelled StrategyOracle; the fixed32 and fixed32+fec runs of
// the same link count as grid points too (they are fixed settings), so the oracle is never below
// them. Other rows pass through in order; without grid rows for a link there is no oracle row.
func PickOracle(rows []Row) []Row {
	type key struct {
		p, c string
		s    uint64
	}
	fixed := map[string]FixedSetting{StrategyFixed: fixed32, StrategyFixedFEC: fixed32FEC}
	best := map[key]int{}
	var out []Row
	for _, r := range rows {
		if r.Strategy != StrategyOracle {
			out = append(out, r)
			continue
		}
		k := key{r.Profile, r.Clip, r.Seed}
		if i, ok := best[k]; !ok {
			best[k] = len(out)
			out = append(out, r)
		} else if r.PESQ > out[i].PESQ {
			out[i] = r
		}
	}
	for _, r := range rows {
		f, ok := fixed[r.Strategy]
		if !ok {
			continue
		}
		if i, ok := best[key{r.Profile, r.Clip, r.Seed}]; ok && r.PESQ > out[i].PESQ {
			r.Strategy, r.Fixed = StrategyOracle, f
			out[i] = r
		}
	}
	return out
}
