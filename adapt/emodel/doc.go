// Package emodel is Parley's live call-quality estimate: the ITU-T E-model transmission rating R
// and its MOS, for narrowband speech (ITU-T G.107, 06/2015) and wideband speech (ITU-T G.107.1,
// 06/2019), with two Opus equipment-impairment tables: Parley's own per-setting table
// (ParleyOpusTable: Ie and Bpl per bitrate, frame, FEC and RED depth on the wideband scale,
// refit from PESQ-WB sweeps with real libopus by `parley bench refit`; FitBpl and RFromPESQWB
// are the fit), and a table (Ie, Bpl) by bandwidth, rate control and bitrate taken from
// Alahmadi, Pocta and Melvin, "An adaptive bitrate switching algorithm for speech applications
// in context of WebRTC", ACM TOMM 17(4), 2021 (OpusTable).
//
// The model is R = R0 − Id − Ie,eff + A, where
//
//   - R0 is the basic rating: 93.2 on the narrowband scale (G.107 with all default parameters,
//     which already folds in the default simultaneous impairment Is ≈ 1.41 and listener-echo
//     impairment Idle ≈ 0.15; Terminal computes it from the parameters) and 129 on the wideband
//     scale (G.107.1);
//   - Id = Idte + Idd. Idte, the talker-echo impairment, is taken as 0, on the assumption that
//     acoustic echo cancellation leaves no audible echo. This is optimistic against the letter of
//     G.107: at its default TELR of 65 dB, Idte is 1.0 for a 50 ms echo path, 2.0 for 100 ms and
//     2.8 for 150 ms (Terminal.Rating computes it for any TELR and T). Idd is the
//     absolute-delay impairment of G.107 §7.4 (DelayImpairment), a function of the mouth-to-ear
//     delay Ta;
//   - Ie,eff = Ie + (Rmax − Ie)·Ppl/(Ppl/BurstR + Bpl), with Ppl the packet loss in percent, Rmax
//     95 (G.107) or 129 (G.107.1), Ie and Bpl the codec's equipment impairment and packet-loss
//     robustness, and BurstR the burst ratio (LossImpairment);
//   - A is the advantage factor, 0 unless a caller has a reason.
//
// MOS is the conversational-quality estimate MOS_CQE of G.107 Annex B. A wideband R is mapped
// through R/1.29 first (G.107.1), so R = 129 is MOS 4.5.
//
// Inputs carry their units: delay is a time.Duration of mouth-to-ear delay (capture + encoder
// frame and look-ahead + packetization + one-way network + jitter-buffer delay + decoding +
// playout device), loss is a fraction 0..1 of packets lost after the jitter buffer and
// concealment, i.e. network loss + late loss − loss recovered by FEC or RED (PostBufferLoss).
//
// Opus audio bandwidths map to scales as the table's source prescribes: narrowband values are on
// the G.107 scale, wideband and super-wideband values on the G.107.1 scale. Fullband (G.107.2,
// R0 = 148) is not modelled.
//
// Everything is a pure function of its arguments; values are immutable after construction and
// safe for concurrent use. Invalid input yields an error wrapping one of the sentinels in
// errors.go; nothing panics.
package emodel
