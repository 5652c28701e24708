// Package bench measures Parley in virtual time, many times faster than real time, with the
// code that ships: the engine's media core (engine/media: the send step with real libopus, the
// receive step over the engine's jitter buffer, the arrival feedback and a media.Policy
// deciding from it) driven over the userspace link emulator (internal/netem), feedback
// travelling back over a reverse link at the engine's cadence. On top: a fixed-delay reference
// receiver, speech quality by PESQ (bench/pesq) on the decoded audio, the codec sweep behind
// `parley bench codec`, and the side-by-side adaptation benchmark behind `parley bench adapt`
// (a table of strategies, Strategies, whose baselines live in bench/baseline) with their
// tables, CSV and PNG reports.
package bench
