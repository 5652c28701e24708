package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/parley-voice/parley/bench"
	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/internal/netem"
)

// demoRow is one row of the demo's closing comparison, as stats.json holds it.
type demoRow struct {
	Name         string  `json:"name"`
	Simulated    bool    `json:"simulated"` // true: virtual time through bench.Run; false: the live call
	PESQWB       float64 `json:"pesq_wb"`
	ScoredSecs   float64 `json:"pesq_scored_s"`
	PayloadKbps  float64 `json:"payload_kbps"`     // RTP payload (Opus, RED copies included)
	NetLossPct   float64 `json:"network_loss_pct"` // packets the network lost, before FEC/RED
	ConcealedPct float64 `json:"concealed_pct"`    // share of the playout synthesized by PLC
	DelayMs      float64 `json:"delay_ms"`         // mouth to ear, devices excluded
	// RefWAV and DegWAV are the files in the demo's folder the PESQ-WB was scored from:
	// `parley bench pesq REF DEG` prints the same figure.
	RefWAV string `json:"ref_wav"`
	DegWAV string `json:"deg_wav"`
	Note   string `json:"note,omitempty"`
}

// replayBufferDelay is the fixed jitter-buffer delay of the virtual-time replays.
const replayBufferDelay = 80 * time.Millisecond

// liveRows are the live call's rows: the whole call (wb, scored from alice.wav and bob.wav),
// and (when there was a cut) the part before it, which is what the replays (no path cut)
// compare with most fairly. ref and deg are alice's speech and bob's recording aligned by the
// measured delay; the part before the cut is written from them as alice-before-cut.wav and
// bob-before-cut.wav and scored from those files.
func (d *liveDemo) liveRows(ref, deg []float32, wb, scoredSecs float64, lag time.Duration) ([]demoRow, error) {
	a, b := d.aliceEnd, d.bobEnd
	live := demoRow{Name: "live Parley call, whole call", PESQWB: wb, ScoredSecs: scoredSecs,
		DelayMs: ms(lag), RefWAV: "alice.wav", DegWAV: "bob.wav", Note: "real time: pion, SRTP, real UDP sockets"}
	switch {
	case d.relay:
		live.Note += ", TURN relay throughout"
	case d.cutAt >= 0:
		live.Note += ", direct path cut at half time"
	}
	if a.Adapt.Enabled {
		live.Name = "live Parley call (adaptive), whole call"
	}
	if c := a.Connected.Seconds(); c > 0 {
		live.PayloadKbps = float64(a.Send.BytesSent) * 8 / 1000 / c
	}
	r := b.Receive
	if lost, n := float64(max(0, r.PacketsLost)), float64(r.PacketsReceived)+float64(max(0, r.PacketsLost)); n > 0 {
		live.NetLossPct = 100 * lost / n
	}
	live.ConcealedPct = 100 * frac(r.ConcealedSamples, r.TotalSamplesReceived)
	rows := []demoRow{live}
	if d.cutAt < 0 {
		return rows, nil
	}
	n := min(len(ref), int(d.cutAt*bench.SampleRateHz))
	if n < 3*bench.SampleRateHz {
		return rows, nil
	}
	q, err := d.writeAndScore("alice-before-cut.wav", ref[:n], "bob-before-cut.wav", deg[:n])
	if err != nil {
		return nil, fmt.Errorf("demo: PESQ before the cut: %w", err)
	}
	before := demoRow{Name: fmt.Sprintf("live, first %.0f s (before the cut)", d.cutAt), PESQWB: q.WB,
		ScoredSecs: secs(n), DelayMs: ms(lag), PayloadKbps: -1, NetLossPct: -1, ConcealedPct: -1,
		RefWAV: "alice-before-cut.wav", DegWAV: "bob-before-cut.wav",
		Note: "payload, loss and concealment: mean of the per-second samples before the cut"}
	var k float64
	var kbps, loss, conc float64
	for _, s := range d.samples {
		if s.T <= d.cutAt {
			k++
			kbps, loss, conc = kbps+s.SendKbps, loss+s.LossPct, conc+s.Concealed
		}
	}
	if k > 0 {
		before.PayloadKbps, before.NetLossPct, before.ConcealedPct = kbps/k, loss/k, conc/k
	}
	return append(rows, before), nil
}

// replayRows runs alice's speech, as she sent it in the live call, through bench.Run in virtual
// time — real libopus, 20 ms frames at a fixed 32 kb/s, a fixed 80 ms jitter buffer — across a
// netem link with the live uplink's profile and seed, with and without in-band FEC. What each
// replay sent and played is written (replay-sent.wav, replay-fec.wav, replay-plain.wav) and
// scored from those files.
func (d *liveDemo) replayRows(speech []float32) ([]demoRow, error) {
	speech = speech[:min(len(speech), maxPESQ)]
	if len(speech) < bench.SampleRateHz {
		return nil, nil
	}
	fec := codec.DefaultSettings()
	fec.BitrateBps = 32000
	plain := fec
	plain.FEC, plain.LossHint = false, 0
	variants := []struct {
		name, file string
		s          codec.Settings
	}{
		{"fixed 32 kb/s + FEC, 80 ms buffer", "replay-fec.wav", fec},
		{"fixed 32 kb/s, no FEC, 80 ms buffer", "replay-plain.wav", plain},
	}
	var rows []demoRow
	for _, v := range variants {
		link, err := netem.NewLink(d.prof, d.seed)
		if err != nil {
			return nil, fmt.Errorf("demo: replay link: %w", err)
		}
		res, err := bench.Run(speech, bench.SendConfig{Settings: v.s, Frame: 20 * time.Millisecond}, link,
			&bench.FixedReceiver{Delay: replayBufferDelay, FEC: v.s.FEC})
		if err != nil {
			return nil, fmt.Errorf("demo: replay %s: %w", v.name, err)
		}
		// Both replays send the same frames of the same speech, so one reference file serves both.
		q, err := d.writeAndScore("replay-sent.wav", res.Sent, v.file, res.Received)
		if err != nil {
			return nil, fmt.Errorf("demo: PESQ of replay %s: %w", v.name, err)
		}
		row := demoRow{Name: v.name, Simulated: true, PESQWB: q.WB, ScoredSecs: secs(len(res.Sent)),
			PayloadKbps: res.PayloadKbps(), NetLossPct: 100 * res.NetworkLoss, DelayMs: ms(res.Delay),
			RefWAV: "replay-sent.wav", DegWAV: v.file,
			Note: fmt.Sprintf("virtual time, netem %q seed %d, no path cut", d.link, d.seed)}
		if f := res.Receive.Frames; f > 0 {
			row.ConcealedPct = 100 * float64(res.Receive.Concealed) / float64(f)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// writeAndScore writes ref and deg (48 kHz) as refName and degName in the demo's folder and
// scores the files as `parley bench pesq` does.
func (d *liveDemo) writeAndScore(refName string, ref []float32, degName string, deg []float32) (bench.Quality, error) {
	refPath, degPath := filepath.Join(d.out, refName), filepath.Join(d.out, degName)
	if err := writeWAV(refPath, ref); err != nil {
		return bench.Quality{}, err
	}
	if err := writeWAV(degPath, deg); err != nil {
		return bench.Quality{}, err
	}
	return scoreWAVFiles(refPath, degPath)
}

// printComparison prints the rows as a table; -1 marks a figure not measured for that row.
func (d *liveDemo) printComparison(rows []demoRow) {
	out := d.env.Stdout
	fmt.Fprintf(out, "\nThe same speech replayed in VIRTUAL TIME with fixed settings (simulated: real libopus, netem %q\n", d.link)
	fmt.Fprintf(out, "seed %d as alice's live uplink, no path cut), against the LIVE call:\n\n", d.seed)
	fmt.Fprintf(out, "  %-10s %-42s %7s %12s %9s %10s %9s\n", "", "", "PESQ-WB", "payload", "net loss", "concealed", "delay")
	for _, r := range rows {
		kind := "LIVE"
		if r.Simulated {
			kind = "SIMULATED"
		}
		fmt.Fprintf(out, "  %-10s %-42s %7.2f %12s %9s %10s %9s\n", kind, r.Name, r.PESQWB,
			orDash(r.PayloadKbps, "%.1f kb/s"), orDash(r.NetLossPct, "%.1f %%"), orDash(r.ConcealedPct, "%.1f %%"), orDash(r.DelayMs, "%.0f ms"))
	}
	fmt.Fprintln(out, "  (delay: mouth to ear without audio devices; live: measured by aligning bob's recording with alice's speech)")
	fmt.Fprintf(out, "\nEach PESQ-WB above is scored from two files the demo wrote; to check one:\n")
	cmds := make([]string, len(rows))
	width := 0
	for i, r := range rows {
		cmds[i] = fmt.Sprintf("parley bench pesq %s %s", filepath.Join(d.out, r.RefWAV), filepath.Join(d.out, r.DegWAV))
		width = max(width, len(cmds[i]))
	}
	for i, r := range rows {
		fmt.Fprintf(out, "  %-*s  # %s\n", width, cmds[i], r.Name)
	}
}

func orDash(v float64, format string) string {
	if v < 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

func secs(samples int) float64 { return float64(samples) / bench.SampleRateHz }
