// Package adapt holds Parley's network adaptation: receiver-side network features, the learned
// predictor of the next seconds of the link, the quality model (the E-model in adapt/emodel with
// an Opus impairment table), the policy that picks bitrate, frame size, FEC and RED depth with
// hysteresis, and the jitter-buffer target. Everything here is pure computation: the clock is
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
//   - Quality (quality.go) scores Settings under Conditions with the E-model: Opus Ie and Bpl
//     by bitrate, in-band FEC and RED recovery as a reduction of the post-buffer loss (limited
//     by what the jitter target leaves time for), late loss from the delay quantiles, and
//     mouth-to-ear delay from the fixed terminal delay, frame, one-way delay and target.
//   - Policy (policy.go) maximises R within Headroom × the predicted sustainable rate and a
//     payload cap, over 6–64 kb/s, 20/40/60 ms frames, FEC with a loss hint, and RED depth 0–3
//     with primary or low-rate copies; it keeps the current setting unless the best is better
//     by RMargin and MinHold has passed (or the current no longer fits), and moves the jitter
//     target only for a real gain and downwards slowly. When the prediction is not trusted the
//     rule ladder (ladder.go) decides from measurements: FEC at 1 % loss, 2/3/4-frame
//     redundancy at 2/5/8 %, then a higher buffer floor.
//   - Controller (controller.go) ties a Tracker, a Predictor and a Policy together.
//
// The quality model's FEC, low-rate RED and frame-size terms are our assumptions (see the
// constants in quality.go); they are not yet refit from the bench codec PESQ sweep.
package adapt
