// Package arch holds no code: its tests guard the architecture of DESIGN.md — which package
// may import what, where cgo is allowed, and that every package is documented.
package arch
