// Package pesq computes PESQ, the Perceptual Evaluation of Speech Quality of ITU-T P.862, with
// the P.862.1 mapping to MOS-LQO for narrowband and the P.862.2 wideband extension.
//
// It is written from the Recommendations: level alignment, the IRS-receive (narrowband) or
// high-pass (wideband) input filter, the energy-based voice activity detector, crude delay
// estimation on the log-VAD envelopes, per-utterance fine alignment by histograms of frame
// cross-correlations, utterance splitting, the Bark-scale auditory transform, frequency and
// local gain compensation, Zwicker loudness, symmetric and asymmetric disturbance with a dead
// zone, re-alignment of bad intervals, L6/L2 aggregation over syllables and time, and the mapping
// to MOS-LQO.
//
// The wideband input filter follows P.862 Corrigendum 2 (2018) by default, which lowers its gain
// by 12 dB; Options.Variant selects the 2005 behaviour that most published wideband scores use.
// The narrowband model is the same in both variants.
//
// Samples are float32 in full scale [-1, 1] (the scale codec.ReadWAVFile returns); they are
// multiplied by 32768 internally, because the model's silence criteria are defined on 16-bit
// sample values. ScoreInt16 accepts 16-bit PCM directly.
//
// Score is safe for concurrent use; ScoreBatch scores many pairs on several cores. A Scorer
// keeps its working memory from one comparison to the next (Score borrows one from a pool), so
// that a warm 10 s wideband comparison allocates a few kilobytes instead of about 50 MB.
//
// # Validation and implementation choices
//
// The package reproduces the ITU-computed and published scores of the reference pairs in the
// project's shared data (narrowband and wideband, both variants, 8 and 16 kHz, up to 10 s with
// several utterances) to within 1e-4 MOS-LQO, and the delayed-and-cut pairs (16 to 400 samples
// of delay) to within 5e-4; TestReferenceScores and TestReferenceDelayScores check every row
// whenever that folder exists, and TestDelayedCutMatchesITU checks delayed and spliced copies of
// the codec2 speech against scores of the ITU reference program without it. As in the
// reference, the wideband input filter runs only over the signal between the search buffers,
// after a 16-step linear fade at both ends. Where the Recommendation leaves room:
//
//   - Level alignment measures the 350–3250 Hz power in the frequency domain (Parseval) over
//     the whole zero-padded FFT rather than transforming back; the difference is below 1e-4 MOS.
//   - Crude delays use the exact lag of the log-VAD cross-correlation maximum.
//   - At most 50 utterances (P.862's limit) are aligned; speech after the 49th speech run belongs
//     to the last utterance.
//   - A silent degraded signal is an error (ErrNoSpeech), where the reference program would
//     divide by zero.
//   - Time weighting of signals longer than 1000 frames (16 s) is implemented as in P.862.
package pesq
