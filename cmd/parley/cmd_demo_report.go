package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/parley-voice/parley/bench"
	"github.com/parley-voice/parley/codec"
)

// maxPESQ bounds the audio scored (PESQ's cost grows with length).
const maxPESQ = 30 * bench.SampleRateHz

// report writes the files and scores bob's recording. Every PESQ figure it prints is scored
// from WAV files it wrote, read back exactly as `parley bench pesq REF DEG` reads them, and
// stats.json names the pair behind each row.
func (d *liveDemo) report() error {
	out := d.env.Stdout
	sent, sentAt := d.speech.audio()
	got, gotAt := d.rec.audio()
	if err := writeWAV(filepath.Join(d.out, "alice.wav"), sent); err != nil {
		return err
	}
	if err := writeWAV(filepath.Join(d.out, "bob.wav"), got); err != nil {
		return err
	}
	// The whole recording against the whole speech, as written: PESQ finds the delay (and its
	// changes) itself. The envelope alignment below serves the delay column and the part
	// before the cut.
	wb := 0.0
	if len(sent) >= bench.SampleRateHz && len(got) >= bench.SampleRateHz {
		q, err := scoreWAVFiles(filepath.Join(d.out, "alice.wav"), filepath.Join(d.out, "bob.wav"))
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		wb = q.WB
	}
	ref, deg, lag := alignForPESQ(sent, got)
	// sent[i] left alice's source at sentAt + i/fs; bob played it at gotAt + i/fs + lag.
	rows, err := d.liveRows(ref, deg, wb, secs(len(sent)), gotAt.Sub(sentAt)+lag)
	if err != nil {
		return err
	}
	sim, err := d.replayRows(sent)
	if err != nil {
		return err
	}
	rows = append(rows, sim...)
	summary := struct {
		SAS        string           `json:"sas"`
		Link       string           `json:"link"`
		Seed       uint64           `json:"seed"`
		CutAt      float64          `json:"cut_at_s"`
		SwitchAt   float64          `json:"switch_at_s"`
		Restarts   uint64           `json:"ice_restarts"`
		Changes    []demoPathChange `json:"path_changes"`
		PESQWB     float64          `json:"pesq_wb"`
		ScoredSecs float64          `json:"pesq_scored_s"`
		Comparison []demoRow        `json:"comparison"`
		Samples    []demoSample     `json:"samples"`
	}{d.sas, d.link, d.seed, d.cutAt, d.switchAt, d.aliceEnd.ICERestarts + d.bobEnd.ICERestarts, d.changes, wb, secs(len(sent)), rows, d.samples}
	b, err := json.MarshalIndent(summary, "", "  ")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := os.WriteFile(filepath.Join(d.out, "stats.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := d.plot(filepath.Join(d.out, "call-report.png"), wb); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nPESQ-WB of bob's recording against alice's speech: %.2f (%.1f s scored: bob.wav against alice.wav)\n", wb, summary.ScoredSecs)
	if d.relay {
		fmt.Fprintf(out, "relay-only call (-relay): TURN from the start, no direct path to cut; path at the end: %v\n", d.aliceEnd.Path)
	} else if d.switchAt >= 0 {
		fmt.Fprintf(out, "path switch to relay at %.1f s (direct path cut at %.1f s)\n", d.switchAt, d.cutAt)
	} else {
		fmt.Fprintln(out, "no path switch observed")
	}
	fmt.Fprintf(out, "ICE restarts: %d; path switches without restart: alice %d, bob %d\n",
		d.aliceEnd.ICERestarts+d.bobEnd.ICERestarts, d.aliceEnd.Switches, d.bobEnd.Switches)
	d.printComparison(rows)
	files := []string{"alice.wav", "bob.wav"}
	for _, r := range rows {
		for _, f := range []string{r.RefWAV, r.DegWAV} {
			if f != "" && !slices.Contains(files, f) {
				files = append(files, f)
			}
		}
	}
	fmt.Fprintf(out, "\nwrote %s: %s stats.json call-report.png\n", d.out, strings.Join(files, " "))
	return nil
}

func writeWAV(path string, x []float32) error {
	if err := codec.WriteWAVFile(path, codec.Audio{SampleRateHz: bench.SampleRateHz, Samples: x}, codec.WAVPCM16); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

// alignForPESQ finds bob's delay against alice's speech (cross-correlating 1 ms energy
// envelopes over up to 2 s of lag) and returns equal-length, aligned reference and recording
// (at most maxPESQ samples), and the delay found (1 ms resolution).
func alignForPESQ(sent, got []float32) (ref, deg []float32, lag time.Duration) {
	const hop = bench.SampleRateHz / 1000
	es, eg := bench.BlockEnergy(sent, 0, len(sent)/hop, hop), bench.BlockEnergy(got, 0, len(got)/hop, hop)
	win := min(len(es), len(eg), 6000)
	best, bestLag := -1.0, 0
	for lag := -2000; lag <= 2000; lag++ {
		var c float64
		for i := 0; i < win; i++ {
			j := i + lag
			if j < 0 || j >= len(eg) {
				continue
			}
			c += es[i] * eg[j]
		}
		if c > best {
			best, bestLag = c, lag
		}
	}
	off := bestLag * hop
	if off >= 0 {
		got = got[min(off, len(got)):]
	} else {
		sent = sent[min(-off, len(sent)):]
	}
	n := min(len(sent), len(got), maxPESQ)
	return sent[:n], got[:n], time.Duration(bestLag) * time.Millisecond
}
