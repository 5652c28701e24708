package adapt

import (
	"math"
	"time"

	"github.com/parley-voice/parley/adapt/emodel"
)

// Deep REDundancy (DRED, libopus 1.5) as the policy uses it. Every packet of a DRED sender
// carries a compressed description of the audio before it, so the first packet after a loss
// run rebuilds the whole run, as long as the run fits in what the packet carries and that
// packet arrives before the run's first frame is due to play. Where FEC repairs one lost frame
// and RED a fixed number, DRED repairs a run of any length up to its reach: it is the tool for
// bursty loss. Its bits come out of the bitrate, so the primary encoding is coarser, and a
// rebuilt frame is not as good as the frame itself.
//
// The policy sends DRED one way: dredAsk of history with loss hint dredLossHint on 20 ms frames,
// with in-band FEC off, or on from 48 kb/s, where FEC's bits still leave DRED its whole reach
// (dredFECReachTable) and FEC rebuilds the last frame of each run better than DRED does
// (dredFECWeight). What libopus 1.5.2 then actually carries, and what it costs, was measured
// (see dredReachTable, dredIeTax and dredFECWeight); the quality model scores a DRED setting
// from the plain setting's refit entry (and the FEC entry's cost) with those measurements
// (Quality.dredScore).
const (
	// dredAsk is the DRED duration the policy asks the encoder for. libopus carries less at
	// the bitrates a call uses (dredReachTable), and asking for more than 200 ms buys nothing
	// below 48 kb/s.
	dredAsk = 200 * time.Millisecond
	// dredLossHint is the encoder's loss hint with DRED: with FEC off, libopus gives DRED
	// min(0.8, 0.55 + hint) of the bitrate above 12 kb/s (opus_encoder.c,
	// compute_dred_bitrate), capped by what dredAsk needs; at 20 % DRED reaches its longest.
	dredLossHint = 0.2
	// dredFrame is the only frame size the policy sends DRED with: at 40 ms the encoder
	// carries half the reach or less at the same bitrate.
	dredFrame = 20 * time.Millisecond
)

// dredReachTable is how far back the DRED of a packet reaches with dredAsk, dredLossHint and
// FEC off on 20 ms frames, by bitrate (the least bitrate of each row): measured by encoding the
// codec2 wideband sentence with libopus 1.5.2 at complexity 9 and parsing every packet's DRED
// (mean reach; bench's TestPolicyDREDReach repeats it against the linked libopus). Below
// 24 kb/s the encoder sends none.
var dredReachTable = [...]reachRow{
	{24000, 135 * time.Millisecond},
	{32000, 175 * time.Millisecond},
	{48000, 215 * time.Millisecond},
}

// reachRow is one row of a reach table: the reach from bitrateBps up to the next row's.
type reachRow struct {
	bitrateBps int
	reach      time.Duration
}

// reachAt is the reach rows (ascending in bitrate) give at bitrate on frames of frame: 0 below
// the first row and on frames other than dredFrame.
func reachAt(rows []reachRow, bitrate int, frame time.Duration) time.Duration {
	if frame != dredFrame {
		return 0
	}
	var r time.Duration
	for _, e := range rows {
		if bitrate >= e.bitrateBps {
			r = e.reach
		}
	}
	return r
}

// dredReach is how much audio before a packet its DRED rebuilds when the policy sends DRED at
// bitrate on frames of frame: 0 when it sends none there.
func dredReach(bitrate int, frame time.Duration) time.Duration {
	return reachAt(dredReachTable[:], bitrate, frame)
}

// dredFECReachTable is dredReachTable with in-band FEC on as well (same loss hint): FEC's bits
// come first, and below 48 kb/s they leave DRED little (measured as dredReachTable: 15 ms at
// 32 kb/s, 95 ms at 40 kb/s, the full 215 ms from 48 kb/s). The policy sends DRED with FEC only
// where DRED keeps its whole reach.
var dredFECReachTable = [...]reachRow{
	{48000, 215 * time.Millisecond},
}

// settingsReach is how much audio before a packet the DRED of s rebuilds: dredReach, or with
// FEC on the reach dredFECReachTable gives; 0 without DRED.
func settingsReach(s *Settings) time.Duration {
	switch {
	case s.DRED <= 0:
		return 0
	case s.FEC:
		return reachAt(dredFECReachTable[:], s.BitrateBps, s.Frame)
	}
	return dredReach(s.BitrateBps, s.Frame)
}

// DREDReach is how much audio before a packet the DRED the policy sends (DREDSetting) rebuilds
// at bitrateBps on frames of frame: 0 where the encoder sends none. Measured with libopus
// 1.5.2 (bench's TestPolicyDREDReach checks it against the linked libopus).
func DREDReach(bitrateBps int, frame time.Duration) time.Duration {
	return dredReach(bitrateBps, frame)
}

// DREDFECReach is DREDReach with in-band FEC on as well (the policy's DRED with FEC): 0 where
// FEC leaves DRED too few bits to keep its reach, and where the policy does not send it.
func DREDFECReach(bitrateBps int, frame time.Duration) time.Duration {
	return reachAt(dredFECReachTable[:], bitrateBps, frame)
}

// DREDSetting is the setting with DRED the policy sends at bitrateBps (20 ms frames, no FEC or
// RED, jitter target 0), and false where the encoder would carry no DRED.
func DREDSetting(bitrateBps int) (Settings, bool) {
	s := Settings{BitrateBps: bitrateBps, Frame: dredFrame}
	return s, dredSettings(&s)
}

// dredSettings turns s into the DRED setting the policy sends at s's bitrate and frame,
// reporting false where the encoder would carry none.
func dredSettings(s *Settings) bool {
	if dredReach(s.BitrateBps, s.Frame) == 0 {
		return false
	}
	s.FEC, s.REDDepth, s.REDLowRateBps = false, 0, 0
	s.DRED, s.LossHint = dredAsk, dredLossHint
	return true
}

// dredFrames is how many frames at the end of a loss run s's DRED rebuilds with jitter target
// s's JitterTarget under delay spread p95. The packet after a run arrives the run's length
// behind its first frame; every frame of the run whose playout is still ahead when that packet
// is in the buffer, and which lies within the DRED's reach of it, is rebuilt: the last
// min(reach, target − p95) of the run, whatever its length (the jitter buffer conceals the
// frames before them, holding playout while nothing is buffered).
func dredFrames(s *Settings, p95 time.Duration) int {
	frame := max(s.Frame, 10*time.Millisecond)
	wait := s.JitterTarget - max(p95, 0)
	return max(min(int(settingsReach(s)/frame), int(wait/frame)), 0)
}

// runShare is the fraction of lost packets that recovery of the last k packets of every loss run
// rebuilds, when runs are geometric with mean meanBurst (≥ 1): a run of L leaves max(L − k, 0)
// lost, and for geometric runs E[max(L − k, 0)] = p^k·E[L], p = 1 − 1/meanBurst. Random loss
// (meanBurst 1) has every run one packet long.
func runShare(k int, meanBurst float64) float64 {
	if k <= 0 {
		return 0
	}
	p := 1 - 1/max(meanBurst, 1)
	return clamp(1-math.Pow(p, float64(k)), 0, 1)
}

// dredScore is refitScore for a DRED setting s (no RED), from plain, the refit entry of the
// plain setting at s's bitrate and frame: Ie plus dredIeTax (the bits DRED takes from the
// primary), and the loss the E-model sees is the network loss less the runs DRED rebuilds in
// time (dredFrames, runShare), a rebuilt frame counting as dredRebuiltWeight of a lost one.
// With in-band FEC as well (fec, the table's FEC entry at that bitrate and frame; nil without)
// the last frame of every rebuilt run comes from FEC and counts as dredFECWeight, and the Ie
// also pays what FEC costs in the table (fec.Ie − plain.Ie). Late packets are scored as lost,
// as in refitScore.
func (q *Quality) dredScore(plain, fec *emodel.Impairment, s *Settings, c *Conditions, lateFraction float64, mos bool) Score {
	frame := max(s.Frame, 10*time.Millisecond)
	loss := clamp(c.Loss, 0, 1)
	late := clamp(lateFraction*(1-loss), 0, 1)
	k := dredFrames(s, c.DelayP95)
	rebuilt := loss * runShare(k, c.MeanBurst)
	left := loss - rebuilt + dredRebuiltWeight*rebuilt
	ie := plain.Ie + dredIeTax
	if fec != nil {
		// In-band FEC rebuilds the last frame of every run (the packet after it carries it)
		// better than DRED does; it costs what the refit table says FEC costs at this bitrate.
		byFEC := 0.0
		if k > 0 {
			byFEC = loss * runShare(1, c.MeanBurst)
		}
		left -= (dredRebuiltWeight - dredFECWeight) * byFEC
		ie += max(fec.Ie-plain.Ie, 0)
	}
	burstR := max(1, max(c.MeanBurst, 1)*(1-loss-late))
	term := func(p float64) float64 {
		ppl := 100 * p
		if ppl <= 0 {
			return 0
		}
		return ppl / (ppl/burstR + harmonicBpl(plain, burstR))
	}
	frac := min(term(left)+term(late), 1)
	return q.scoreIe(clamp(ie, 0, emodel.RmaxWideband), frac, frame, s, c, loss+late, mos)
}

// dredFECWeight is how much of a lost frame's impairment a frame rebuilt from in-band FEC keeps
// when DRED rides along (DRED with FEC, 48 kb/s and up): fitted to the difference between DRED
// with and without FEC at 48 kb/s in R (least squares over 0.27, 0.2, 0.15, 0.1, 0.05 and 0;
// SSE 58.8 at 0.1 against 463 at DRED's own 0.27) in `parley bench codec -configs
// 48k-fec-nolace,48k-dred200ms-h20-nolace,48k-fec-dred200ms-h20-nolace -conditions "0%,random
// 5%,random 20%,bursty 5%,bursty 10%,bursty 20%" -seeds 4`: PESQ-WB 4.45 lossless (DRED alone
// 4.48), 4.39 at 5 % random loss (4.12; FEC alone 4.41), 4.08 at 20 % random (3.59; FEC 3.75),
// 4.27, 3.93 and 3.67 at 5, 10 and 20 % bursty loss (4.20, 3.82, 3.48; FEC 4.07, 3.61, 3.02),
// at 46.7 kb/s of payload. DRED with FEC at 48 kb/s was the best of those three under every
// loss, and bettered 10–12 kb/s with three RED copies, the best of the RED settings within
// 48 kb/s, except at 20 % random loss. That sweep's receiver waits 100 ms, so the packet after
// a run is there for FEC to rebuild the run's last frame; the engine's buffer at a few tens of
// ms mostly conceals or rebuilds that frame from DRED before FEC can (engine's
// TestDREDLiveCall logs it). Behind the engine's buffer the policy with this setting scored
// 3.50 PESQ-WB on bench adapt's bursty20 (adapt+neteq, 4 seeds; 3.35 without it).
const dredFECWeight = 0.1

// DRED's impairments, fitted (least squares in R over a grid of both) to a codec sweep of the
// DRED settings the policy sends at 24, 32 and 48 kb/s (20 ms, 200 ms asked, loss hint 20 %,
// FEC off), decoded as the engine decodes (NoLACE, DRED from the first packet after a gap,
// 100 ms fixed buffer), wideband clip, 2 seeds, under no loss, random loss of 5 and 20 % and
// bursty loss (mean burst 2.5) of 5, 10 and 20 %; RMSE 3.5 R (about 0.1 PESQ-WB). The sweep's
// configs are bench codec's 24k/32k/48k-dred200ms-h20-nolace (`parley bench codec -configs
// 24k-dred200ms-h20-nolace,32k-dred200ms-h20-nolace,48k-dred200ms-h20-nolace,32k-nolace,
// 32k-fec-nolace -conditions "0%,random 5%,random 20%,bursty 5%,bursty 10%,bursty 20%"`, which
// also scores the narrowband clip, so its means differ a little). Measured
// PESQ-WB at 32 kb/s: 4.46 lossless (plain 4.57), 3.43 at 20 % bursty (plain 2.62, FEC 3.18),
// 3.73 at 20 % random (FEC 3.77), 4.17 at 5 % random (FEC 4.28): DRED wins on bursty loss,
// FEC on light random loss. The refit table's FEC rows (classic concealment, Bpl pooled over
// 6–64 kb/s) score FEC at 24 kb/s and up below what it measures behind NoLACE (at 5 % random
// loss R 100 against a measured 108), so where RED's copies do not fit the budget the policy
// takes DRED over FEC at 3–5 % random loss too. A refit of the whole table with the engine's
// decoder (`parley bench refit -seeds 2 -decoder-complexity 7`: plain Opus at 32 kb/s, 20 ms,
// BplRandom 16.6 → 20.6, FEC 29.3 → 31.2) with these two constants refit to it (10.0 R and
// 0.32, on `parley bench codec` of the configs above with -seeds 5) removes that bias but
// scored worse behind the policy as it is tuned: on the default profiles plus eight capacity
// traces (2 seeds, 33 runs) adapt+neteq PESQ-WB 3.72 → 3.69, adapt 3.74 → 3.63, worse on 16
// runs by 0.03 or more and better on 9. The checked-in table stays the classic-PLC fit.
const (
	// dredIeTax is what DRED's bits cost the primary encoding, in R.
	dredIeTax = 6.75
	// dredRebuiltWeight is how much of a lost frame's impairment a frame rebuilt from DRED
	// keeps (0 would be a perfect rebuild).
	dredRebuiltWeight = 0.27
)
