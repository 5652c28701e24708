// Package baseline holds the adaptation baselines the bench compares Parley's policy with, each
// a media.Policy driven by the same media core as the engine: Fixed (settings that never
// change), WebRTC (a libwebrtc-like sender over pion's Google Congestion Control, ported to run
// in virtual time) and TGVoIP (a libtgvoip-like sender). Policies are single-threaded and
// deterministic.
package baseline
