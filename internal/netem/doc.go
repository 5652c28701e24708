// Package netem is Parley's userspace link emulator: the kernel's netem is not needed (and not
// used). One deterministic core — Link, one direction of a path in virtual time — carries
// random loss (Bernoulli, Gilbert–Elliott, replayed patterns), duplication and reordering, a
// byte-accurate bottleneck with a droptail queue (constant rate, RFC 8867-style step schedules,
// a Markov cellular model, or Mahimahi, OpenNetLab and Norway capacity traces), and one-way
// delay with jitter, G.1050/TIA-921-style jitter impulses, route flaps and outages, and cellular
// delivery gaps. Everything random is drawn from an explicit seed: the same configuration, seed
// and packets give the same result, on any machine.
//
// The core has three faces:
//
//   - Link itself, for offline simulation: Send answers at once where and when a packet
//     arrives, with no goroutines and no clock, millions of packets per second.
//   - Net, a pion transport.Net wrapper that impairs the UDP traffic of in-process pion
//     components in real time (egress and ingress each through their own Link).
//   - Proxy, a loopback UDP proxy (the `parley netem` command) for external programs such as
//     a real TURN server or a browser.
//
// The real-time faces take a Clock, so tests can drive them. With the system clock a delivery
// waits on a Go timer until a few milliseconds before it is due, then in nanosleep and a short
// spin, because Go timers fire up to milliseconds late; on an idle machine the emulator's own
// lateness stays in the tens of µs, on a loaded one it grows with the OS scheduling latency
// (Net.EgressLateness, Net.IngressLateness and ProxyStats.Lateness report what it was).
//
// Named profiles (ProfileNames, Profile) give ready-made links; their parameters are tabled on
// the profiles variable in profiles.go and in the `parley netem -h` output.
package netem
