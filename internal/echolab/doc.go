// Package echolab builds echo scenarios for testing and measuring echo cancellers and noise
// suppressors without a sound card, the way internal/natlab builds networks: deterministic
// (seeded), real speech, every component of the microphone signal kept apart so the
// measurements can be exact.
//
// A Scenario plays a far-end talker through a synthetic echo path (a delay of tens of
// milliseconds and an exponentially decaying room response), mixes the echo with a near-end
// talker (a different speaker, in double-talk and near-only segments) and with noise, and can
// change the echo delay mid-run or let the capture clock drift from the playout clock. The
// speech is Debian's codec2-examples (/usr/share/codec2/raw). Measurements (ERLE over time,
// segment extraction for PESQ, active speech level) are here too, so the apm tests and
// `parley bench apm` score the same way. Everything is 48 kHz mono float32 in [-1, 1].
package echolab
