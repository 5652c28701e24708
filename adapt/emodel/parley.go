package emodel

import (
	_ "embed"
	"sync"
)

// ParleyOpusTableVersion labels the checked-in refit table. Bump it (and regenerate the file
// with the command its header names) whenever the sweep or the fit changes.
const ParleyOpusTableVersion = "parley-refit-v1"

// parleyOpusCSV is the refit table written by `parley bench refit` (see its header for the
// exact command and date).
//
//go:embed opus_parley.csv
var parleyOpusCSV []byte

var parleyOpus = sync.OnceValues(func() (*SettingTable, error) { return ParseSettingTable(parleyOpusCSV) })

// ParleyOpusTable returns the checked-in per-setting Opus impairment table (opus_parley.csv,
// version ParleyOpusTableVersion): Ie and Bpl per bitrate (6–64 kb/s), frame (20/40/60 ms), FEC
// and RED depth (0–2, primary or 8 kb/s copies), refit from Parley's own PESQ-WB sweeps with
// real libopus by `parley bench refit`. Unlike OpusTable, the Bpl values include the setting's
// FEC/RED recovery: score a setting with the network loss before recovery. The table is parsed
// once and shared; it is immutable. An error means the embedded file is broken (a test guards
// against that).
func ParleyOpusTable() (*SettingTable, error) { return parleyOpus() }
