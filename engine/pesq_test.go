package engine

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/parley-voice/parley/bench/pesq"
	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/engine/audio"
	"github.com/parley-voice/parley/engine/jitter"
	"github.com/parley-voice/parley/internal/natlab"
)

// speechPath is real speech from Debian's codec2-examples package.
const speechPath = "/usr/share/codec2/raw/speech_orig_16k.wav"

// TestSpeechQuality sends real speech over a clean in-process call and scores what the far end
// played against what was sent with PESQ-WB (ITU-T P.862.2). The issue asks for ≥ 4.0.
func TestSpeechQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time call of several seconds")
	}
	if _, err := os.Stat(speechPath); err != nil {
		t.Fatalf("no speech sample (%v): run scripts/deps.sh (make test does) to install codec2-examples", err)
	}
	ref, err := codec.ReadWAVFile(speechPath)
	if err != nil {
		t.Fatal(err)
	}
	ref.Samples = ref.Samples[:min(len(ref.Samples), 8*ref.SampleRateHz)]
	up, err := codec.Resample(ref.Samples, ref.SampleRateHz, audio.SampleRateHz)
	if err != nil {
		t.Fatal(err)
	}
	// A real-time call on a loaded CI machine (the race detector, other packages' tests) can
	// be descheduled long enough for the jitter buffer to conceal or stretch, which measures
	// the machine, not the engine. So a score below the bar on a link that lost nothing gets
	// one more call; a second failure, or any failure with network loss, fails the test.
	for attempt := 1; ; attempt++ {
		score, st := speechCall(t, ref.Samples, ref.SampleRateHz, up)
		if score >= 4.0 {
			return
		}
		if attempt == 2 || st.PacketsLost != 0 {
			t.Fatalf("PESQ-WB %.2f, want ≥ 4.0 (receiver %+v)", score, st)
		}
		t.Logf("PESQ-WB %.2f below 4.0 with no network loss (a stalled machine?); calling again", score)
	}
}

// speechCall sends speech (at 48 kHz in up; ref at refHz) over a clean natlab call and returns
// the PESQ-WB score of what the callee played, and the callee's receive statistics.
func speechCall(t *testing.T, ref []float32, refHz int, up []float32) (float64, jitter.Stats) {
	l, ca, cb := lab(t, natlab.NoNAT, natlab.NoNAT)
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	src := &audio.Samples{Audio: up}
	rec := &audio.Recorder{}
	ca.Source, cb.Sink = src, rec
	a, b := connect(t, ctx, ca, cb)
	waitState(t, ctx, b, StateConnected)
	for !a.Stats().Send.SourceEnded {
		select {
		case <-ctx.Done():
			t.Fatal("speech not sent before the deadline")
		case <-time.After(100 * time.Millisecond):
		}
	}
	time.Sleep(700 * time.Millisecond) // let the tail play out
	st := b.Stats()
	if n := a.Stats().ICERestarts; n != 0 {
		t.Logf("note: %d ICE restarts on a clean link (a stalled machine?)", n)
	}
	hangup(t, a)
	<-b.Done()

	deg, err := codec.Resample(rec.Audio(), audio.SampleRateHz, refHz)
	if err != nil {
		t.Fatal(err)
	}
	deg = alignTo(ref, deg)
	res, err := pesq.Score(ref, deg, refHz, pesq.Options{Mode: pesq.Wideband})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("PESQ-WB %.2f (raw %.2f); receiver: decoded %d, concealed %d samples, lost %d, mean buffer delay %v, stretched +%d/-%d samples",
		res.MOSLQO, res.Raw, st.Receive.FramesDecoded, st.Receive.ConcealedSamples, st.Receive.PacketsLost,
		st.Receive.MeanDelay(), st.Receive.InsertedSamplesForDeceleration, st.Receive.RemovedSamplesForAcceleration)
	return res.MOSLQO, st.Receive
}

// alignTo cuts deg so that it starts where ref does, by the delay maximising the
// cross-correlation of their 1 ms energy envelopes, and to ref's length.
func alignTo(ref, deg []float32) []float32 {
	const hop = 16 // 1 ms at 16 kHz
	env := func(x []float32) []float64 {
		e := make([]float64, len(x)/hop)
		for i := range e {
			for _, v := range x[i*hop : (i+1)*hop] {
				e[i] += float64(v) * float64(v)
			}
		}
		return e
	}
	er, ed := env(ref), env(deg)
	best, bestLag := -1.0, 0
	for lag := 0; lag+len(er) <= len(ed)+len(er)/2 && lag < len(ed); lag++ {
		var s float64
		for i := range er {
			if i+lag < len(ed) {
				s += er[i] * ed[i+lag]
			}
		}
		if s > best {
			best, bestLag = s, lag
		}
	}
	deg = deg[bestLag*hop:]
	return deg[:min(len(deg), len(ref))]
}
