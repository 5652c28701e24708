// Package adapt holds Parley's network adaptation: receiver-side network features, the learned
// predictor of the next seconds of the link, the quality model (the E-model in adapt/emodel with
// an Opus impairment table), the policy that picks bitrate, frame size, FEC, RED depth and DRED
// with hysteresis, and the jitter-buffer target. Everything here is pure computation: the clock is
// injected (every call takes the current time as a time.Duration on the caller's time base),
// nothing does I/O, and no pion or other project package except adapt/emodel is imported.
//
// The pieces, in the order a call uses them:
//
//   - Tracker (features.go) takes every packet (OnPacket: arrival, sender timestamp, sequence
//     number, size), every packet sent (OnSend) and RTT samples (OnRTT) into preallocated rings
//     without allocating, and Features summarises the last 0.2 s, 1 s and 5 s: arrival rate,
//     loss and loss-run lengths, inter-arrival jitter, one-way delay above the minimum of the
//     last minute (percentiles, spread, gradient), delivery gaps, dispersion and RTT.
//   - Model (model.go, vector.go) is a 46-32-32-6 tanh MLP predicting the sustainable wire rate
//     over the next 2 s and the loss fraction, mean loss-run length and delay quantiles over the
//     next second. Train (train.go) fits it deterministically with hand-written gradients on
//     gonum matrices and Adam; `parley bench train` generates the samples from netem's
//     generators (bench.AdaptTrainingSamples) and writes model.bin, embedded here.
//   - Predictor (predictor.go) corrects the model per call with recursive least squares on the
//     residuals of the loss, burst and delay outputs, once each prediction's second has been
//     observed, and flags predictions it cannot trust: features outside the training range,
//     large residuals, or windows not yet full.
//   - Quality (quality.go) scores Settings under Conditions with the E-model. By default it
//     uses the per-setting Opus table refit from Parley's own PESQ-WB sweeps
//     (emodel.ParleyOpusTable, written by `parley bench refit`): Ie and Bpl per bitrate, frame,
//     FEC and RED depth, the recovery folded into Bpl, so the E-model gets the network loss;
//     recovery counts only as far as the jitter target leaves time for the copies, late loss
//     (from the delay quantiles) is scored as unrecoverable, and mouth-to-ear delay comes from
//     the fixed terminal delay, frame, one-way delay and target. Over a bitrate-only table
//     (emodel.OpusTable, NewQuality with a table) FEC, RED and frame size are our assumptions.
//   - Policy (policy.go) maximises R within Headroom × the predicted sustainable rate and a
//     payload cap, over 6–64 kb/s, 20/40/60 ms frames, FEC with a loss hint, and RED depth 0–3
//     with primary or low-rate copies (and FEC with RED), as far as the quality model covers
//     them; it keeps the current setting unless the best is better by RMargin and MinHold has
//     passed since the codec settings last changed (or the current no longer fits), and moves
//     the jitter target only for a real gain and downwards slowly. A fast path (congestion.go)
//     cuts the budget at once to the bottleneck's delivery rate when the short window shows a
//     queue building, and lets it climb ahead of the model while the path shows no queue.
//     When the prediction is not trusted the rule ladder (ladder.go) decides from
//     measurements: FEC at 1 % loss, 2/3/4-frame redundancy at 2/5/8 % (40 ms frames from
//     3-frame redundancy on, within the payload cap), then a higher buffer floor.
//   - The default decision since issue 13 (steady.go, rate.go): a delay-gradient rate estimate
//     in the manner of GCC's trendline (RateEstimator: cut to 0.85 × the delivery rate when
//     the queue grows while the path delivers less than it is offered, grow while it shows no
//     queue) is the budget; the best setting within it by the quality model, with hysteresis
//     on every knob (DefaultHold between changes the path does not force), never a lower
//     primary bitrate to pay for RED copies while both fit, and a jitter target that knows
//     the setting's frame and redundancy depth. The predictor's forecast joins the measured
//     conditions while it is trusted, switched with hysteresis so a call does not flap.
//     With PolicyConfig.DRED (the engine sets it when libopus has DRED) Opus Deep REDundancy is
//     a candidate too (dred.go): its measured reach and bit cost per bitrate, scored by the
//     loss pattern (it rebuilds the tail of every loss run up to its reach, so bursty loss
//     favours it, random loss FEC or RED), with a jitter target that waits for the packet
//     after a run. PolicyConfig.Legacy selects the decision described above instead.
//   - QoE (qoe.go) is the one per-window objective: the E-model R of what a window delivered
//     (measured codec table, actual mouth-to-ear delay) less InterruptionR per interruption.
//   - ValueModel (value.go, value_train.go) is a learned correction of the quality model's
//     ranking, fitted by ridge regression to counterfactual rollouts (bench.ValueSamples,
//     `parley bench train --value`), embedded as value.bin; PolicyConfig.Learned turns it on (off by default: it has not beaten
//     the quality model alone on the bench).
//   - Controller (controller.go) ties a Tracker, a Predictor and a Policy together.
package adapt
