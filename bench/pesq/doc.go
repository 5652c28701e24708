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
// Score is safe for concurrent use; ScoreBatch scores many pairs on several cores.
package pesq
