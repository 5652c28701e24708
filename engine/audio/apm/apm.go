package apm

/*
#cgo pkg-config: webrtc-audio-processing speexdsp
#cgo CXXFLAGS: -std=c++11
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"math"
	"sync"
	"time"
	"unsafe"
)

// FrameDuration is the unit webrtc's APM works on.
const FrameDuration = 10 * time.Millisecond

// Level is the aggressiveness of a suppressor. The zero value is the package default for that
// suppressor (see Config).
type Level int

// Levels, from the gentlest. Higher levels remove more echo or noise and more of the near-end
// voice with it.
const (
	LevelDefault Level = iota
	LevelLow
	LevelModerate
	LevelHigh
	LevelVeryHigh // noise suppression only
)

func (l Level) String() string {
	switch l {
	case LevelDefault:
		return "default"
	case LevelLow:
		return "low"
	case LevelModerate:
		return "moderate"
	case LevelHigh:
		return "high"
	case LevelVeryHigh:
		return "very-high"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// Canceller is how echo is removed when Config.EchoCancel is on.
type Canceller int

// Cancellers. The zero value is DefaultCanceller.
const (
	CancellerDefault Canceller = iota
	// CancellerWebRTC is webrtc's AEC alone: a delay-agnostic linear filter on the low band
	// and a non-linear suppressor that also cuts the near end during double talk.
	CancellerWebRTC
	// CancellerHybrid is speexdsp's linear filter (MDF, on the 0–8 kHz band) followed by
	// webrtc's AEC on what remains: the linear filter removes most echo without touching the
	// near end, so webrtc's suppressor has less to cut during double talk.
	CancellerHybrid
	// CancellerLinear is speexdsp's linear filter alone: no non-linear suppression, so the
	// near end is untouched and more echo remains.
	CancellerLinear
)

func (c Canceller) String() string {
	switch c {
	case CancellerDefault:
		return "default"
	case CancellerWebRTC:
		return "webrtc"
	case CancellerHybrid:
		return "hybrid"
	case CancellerLinear:
		return "linear"
	}
	return fmt.Sprintf("Canceller(%d)", int(c))
}

// Defaults for the zero values of Config.
const (
	DefaultEchoSuppression = LevelLow
	DefaultNoiseLevel      = LevelHigh
	DefaultAGCTargetDBFS   = 3
	DefaultAGCGainDB       = 9
	DefaultCanceller       = CancellerHybrid
	DefaultEchoTail        = 250 * time.Millisecond
	DefaultEchoQueue       = 200 * time.Millisecond
	// The residual echo suppressor's defaults: pull remaining echo down by up to 40 dB, by up
	// to 6 dB in double talk. In `parley bench apm` the level in double talk is what counts:
	// -15 dB there cost the near end 0.1 PESQ-WB, while -15 to -40 dB outside it changed
	// little (webrtc's stage removes the rest either way).
	DefaultEchoResidualDB       = -40
	DefaultEchoResidualActiveDB = -6
)

// Config chooses what a Processor does. The zero value processes nothing (but still blocks DC,
// see HighPass) at 48 kHz.
type Config struct {
	// SampleRateHz of both streams: 8000, 16000, 32000 or 48000; zero means 48000.
	SampleRateHz int
	// EchoCancel removes the reverse stream's echo from the capture stream (webrtc's AEC,
	// delay-agnostic, extended filter).
	EchoCancel bool
	// Canceller is the echo canceller's structure; zero means DefaultCanceller.
	Canceller Canceller
	// EchoTail is the longest echo (playout-to-capture delay beyond what SetDelay reports,
	// plus the room's reverberation) speexdsp's linear filter models (every Canceller but
	// CancellerWebRTC); zero means DefaultEchoTail; 20 ms to 1 s. Longer covers more and
	// converges more slowly: echo beyond it is left to webrtc's stage.
	EchoTail time.Duration
	// EchoQueue is how far the far-end stream (AnalyzeReverse) may run ahead of the capture
	// stream (beyond the delay SetDelay reports) before the linear filter's queue drops its
	// oldest frames; zero means DefaultEchoQueue; 10 ms to 1 s.
	EchoQueue time.Duration
	// EchoSuppression is the AEC's non-linear suppression: LevelLow, LevelModerate or LevelHigh;
	// zero means DefaultEchoSuppression. Higher removes more residual echo and more near-end
	// voice during double talk.
	EchoSuppression Level
	// NoiseSuppress removes stationary noise.
	NoiseSuppress bool
	// NoiseLevel is LevelLow to LevelVeryHigh; zero means DefaultNoiseLevel.
	NoiseLevel Level
	// NoiseAlways keeps noise suppression on at all times. Without it, suppression pauses
	// while the microphone's noise floor is some 35–40 dB or more under its speech (see
	// noiseGate): there it would cost the voice more than it removes.
	NoiseAlways bool
	// GainControl brings speech to a steady level (webrtc's adaptive digital AGC with its
	// limiter; there is no analog microphone level to steer).
	GainControl bool
	// AGCTargetDBFS is the AGC's target peak level in dB below full scale (1..31); zero means
	// DefaultAGCTargetDBFS.
	AGCTargetDBFS int
	// AGCGainDB is the most gain the AGC's compressor may apply, in dB (1..90); zero means
	// DefaultAGCGainDB.
	AGCGainDB int
	// HighPass runs webrtc's 80 Hz high-pass filter on the microphone. Off by default: a
	// 10 Hz DC blocker runs instead, which is all the echo canceller and the suppressors need
	// (a microphone's DC offset), costs no speech, and leaves rumble to the Opus encoder, which
	// high-passes speech itself in its VoIP mode. webrtc's filter cost clean wideband speech
	// 0.06 PESQ-WB in `parley bench apm`.
	HighPass bool
	// EchoResidualDB is how far speexdsp's residual echo suppressor (after its linear filter,
	// every Canceller but CancellerWebRTC) pulls down what it estimates as remaining echo
	// while only the far end talks, in dB (negative); zero means DefaultEchoResidualDB;
	// -90..-1.
	EchoResidualDB int
	// EchoResidualActiveDB is the same while the near end talks too (double talk); zero means
	// DefaultEchoResidualActiveDB; -90..-1. Gentler values keep more of the near end's voice
	// and more echo with it.
	EchoResidualActiveDB int
	// NoEchoResidual turns speexdsp's residual echo suppressor off.
	NoEchoResidual bool
}

func (c Config) withDefaults() (Config, error) {
	if c.SampleRateHz == 0 {
		c.SampleRateHz = 48000
	}
	switch c.SampleRateHz {
	case 8000, 16000, 32000, 48000:
	default:
		return c, fmt.Errorf("%w: %d Hz", ErrSampleRate, c.SampleRateHz)
	}
	if c.Canceller == CancellerDefault {
		c.Canceller = DefaultCanceller
	}
	if c.Canceller < CancellerWebRTC || c.Canceller > CancellerLinear {
		return c, fmt.Errorf("%w: canceller %v", ErrConfig, c.Canceller)
	}
	if c.EchoTail == 0 {
		c.EchoTail = DefaultEchoTail
	}
	if c.EchoTail < 20*time.Millisecond || c.EchoTail > time.Second {
		return c, fmt.Errorf("%w: echo tail %v (20 ms to 1 s)", ErrConfig, c.EchoTail)
	}
	if c.EchoQueue == 0 {
		c.EchoQueue = DefaultEchoQueue
	}
	if c.EchoQueue < 10*time.Millisecond || c.EchoQueue > time.Second {
		return c, fmt.Errorf("%w: echo queue %v (10 ms to 1 s)", ErrConfig, c.EchoQueue)
	}
	if c.EchoResidualDB == 0 {
		c.EchoResidualDB = DefaultEchoResidualDB
	}
	if c.EchoResidualActiveDB == 0 {
		c.EchoResidualActiveDB = DefaultEchoResidualActiveDB
	}
	if c.EchoResidualDB < -90 || c.EchoResidualDB > -1 || c.EchoResidualActiveDB < -90 || c.EchoResidualActiveDB > -1 {
		return c, fmt.Errorf("%w: residual echo suppression %d dB, %d dB in double talk (-90 to -1)", ErrConfig, c.EchoResidualDB, c.EchoResidualActiveDB)
	}
	if c.EchoSuppression == LevelDefault {
		c.EchoSuppression = DefaultEchoSuppression
	}
	if c.EchoSuppression < LevelLow || c.EchoSuppression > LevelHigh {
		return c, fmt.Errorf("%w: echo suppression %v (low, moderate or high)", ErrConfig, c.EchoSuppression)
	}
	if c.NoiseLevel == LevelDefault {
		c.NoiseLevel = DefaultNoiseLevel
	}
	if c.NoiseLevel < LevelLow || c.NoiseLevel > LevelVeryHigh {
		return c, fmt.Errorf("%w: noise level %v (low … very-high)", ErrConfig, c.NoiseLevel)
	}
	if c.AGCTargetDBFS == 0 {
		c.AGCTargetDBFS = DefaultAGCTargetDBFS
	}
	if c.AGCTargetDBFS < 1 || c.AGCTargetDBFS > 31 {
		return c, fmt.Errorf("%w: AGC target %d dBFS (1..31)", ErrConfig, c.AGCTargetDBFS)
	}
	if c.AGCGainDB == 0 {
		c.AGCGainDB = DefaultAGCGainDB
	}
	if c.AGCGainDB < 1 || c.AGCGainDB > 90 {
		return c, fmt.Errorf("%w: AGC gain %d dB (1..90)", ErrConfig, c.AGCGainDB)
	}
	return c, nil
}

// Processor is one webrtc AudioProcessing instance. AnalyzeReverse and ProcessCapture may be
// called from different goroutines (playout and capture); every method is safe for concurrent
// use. Close frees the C++ side; a Processor must be closed.
type Processor struct {
	// Immutable after New.
	cfg   Config
	frame int // samples per 10 ms

	mu       sync.Mutex // guards the following and every call into the C++ side
	h        *C.parley_apm
	delayMs  int
	gate     noiseGate
	nsFrames uint64 // capture frames the noise suppressor ran on
	captured uint64 // capture frames processed
	reversed uint64 // reverse frames analysed
}

// New builds a Processor for cfg.
func New(cfg Config) (*Processor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	linear := cfg.EchoCancel && cfg.Canceller != CancellerWebRTC
	cc := C.parley_apm_config{
		sample_rate_hz:     C.int(cfg.SampleRateHz),
		echo_cancel:        cbool(cfg.EchoCancel && cfg.Canceller != CancellerLinear),
		linear:             cbool(linear),
		linear_tail:        C.int(int(cfg.EchoTail/time.Millisecond) * cfg.SampleRateHz / 1000),
		linear_ring:        C.int(int(cfg.EchoQueue / FrameDuration)),
		echo_suppression:   C.int(cfg.EchoSuppression - LevelLow),
		noise_suppress:     cbool(cfg.NoiseSuppress),
		ns_level:           C.int(cfg.NoiseLevel - LevelLow),
		gain_control:       cbool(cfg.GainControl),
		agc_target_dbfs:    C.int(cfg.AGCTargetDBFS),
		agc_compression_db: C.int(cfg.AGCGainDB),
		high_pass:          cbool(cfg.HighPass),
		voice_detection:    1,
		dc_block:           cbool(!cfg.HighPass),
	}
	if linear && !cfg.NoEchoResidual {
		cc.res_db, cc.res_active_db = C.int(cfg.EchoResidualDB), C.int(cfg.EchoResidualActiveDB)
	}
	var code C.int
	h := C.parley_apm_new(&cc, &code)
	if h == nil {
		return nil, &Error{Op: "new", Code: int(code)}
	}
	return &Processor{cfg: cfg, frame: cfg.SampleRateHz / 100, h: h}, nil
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// Config returns the configuration in force, defaults filled in.
func (p *Processor) Config() Config { return p.cfg }

// FrameSamples is the number of samples in one 10 ms frame.
func (p *Processor) FrameSamples() int { return p.frame }

// SetDelay reports the delay between a far-end frame reaching AnalyzeReverse and its echo
// reaching ProcessCapture (playout buffering + acoustic path + capture buffering). webrtc's
// canceller is delay-agnostic, so a rough value (or none) only slows its first convergence;
// the linear filter (every Canceller but CancellerWebRTC) holds the far end back by the delay
// less 50 ms, so that its EchoTail covers the echo from there. Negative values count as zero;
// values above 500 ms count as 500 ms.
func (p *Processor) SetDelay(d time.Duration) {
	p.mu.Lock()
	p.delayMs = max(0, int(d/time.Millisecond))
	p.mu.Unlock()
}

// AnalyzeReverse feeds the far-end signal as played: len(frame) must be a whole number of
// 10 ms frames. frame is not modified or retained. A 10 ms frame holding NaN or ±Inf is skipped.
func (p *Processor) AnalyzeReverse(frame []float32) error {
	if len(frame) == 0 || len(frame)%p.frame != 0 {
		return fmt.Errorf("%w: %d samples at %d Hz", ErrFrameSize, len(frame), p.cfg.SampleRateHz)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == nil {
		return ErrClosed
	}
	for off := 0; off < len(frame); off += p.frame {
		if !finite(frame[off : off+p.frame]) {
			// webrtc's filters never recover from a NaN; the frame is skipped, not passed on.
			continue
		}
		if rc := C.parley_apm_reverse(p.h, (*C.float)(unsafe.Pointer(&frame[off]))); rc != 0 {
			return &Error{Op: "reverse", Code: int(rc)}
		}
		p.reversed++
	}
	return nil
}

// ProcessCapture cleans microphone audio in place: len(frame) must be a whole number of 10 ms
// frames. frame is not retained. NaN samples become 0 and samples beyond ±1 are clipped to it.
func (p *Processor) ProcessCapture(frame []float32) error {
	if len(frame) == 0 || len(frame)%p.frame != 0 {
		return fmt.Errorf("%w: %d samples at %d Hz", ErrFrameSize, len(frame), p.cfg.SampleRateHz)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == nil {
		return ErrClosed
	}
	for off := 0; off < len(frame); off += p.frame {
		sanitize(frame[off : off+p.frame])
		ns := p.cfg.NoiseSuppress && (p.cfg.NoiseAlways || p.gate.update(frame[off:off+p.frame]))
		if ns {
			p.nsFrames++
		}
		rc := C.parley_apm_capture(p.h, (*C.float)(unsafe.Pointer(&frame[off])), C.int(p.delayMs), cbool(ns))
		// -13 is webrtc's "parameter clamped" warning: processing went ahead.
		if rc != 0 && rc != -13 {
			return &Error{Op: "capture", Code: int(rc)}
		}
		p.captured++
	}
	return nil
}

// finite reports whether every sample of x is a number (not NaN or ±Inf).
func finite(x []float32) bool {
	for _, v := range x {
		if v != v || v > math.MaxFloat32 || v < -math.MaxFloat32 {
			return false
		}
	}
	return true
}

// sanitize replaces NaN with 0 and clamps x to [-1, 1] (±Inf included): webrtc's filters
// never recover from a NaN, and samples beyond full scale are clipping anyway.
func sanitize(x []float32) {
	for i, v := range x {
		switch {
		case v != v:
			x[i] = 0
		case v > 1:
			x[i] = 1
		case v < -1:
			x[i] = -1
		}
	}
}

// Stats is a Processor's state. Echo figures are webrtc's own long-term averages (they lag and
// need far-end speech to mean anything); the bench measures ERLE from the signals instead.
type Stats struct {
	EchoCancel, NoiseSuppress, GainControl bool
	Canceller                              Canceller     // with EchoCancel: the canceller's structure
	CaptureFrames, ReverseFrames           uint64        // 10 ms frames processed so far
	HasEcho                                bool          // the last capture frame may hold echo
	HasVoice                               bool          // webrtc's VAD on the last capture frame
	ERLEdB, ERLdB                          int           // webrtc's averages; -100 when unknown
	EchoDelay                              time.Duration // the AEC's delay estimate (median); -1 when unknown
	SpeechProbability                      float64       // noise suppressor's, 0..1; -1 without NS
	// NoiseActive: the noise suppressor ran on the last capture frame (it pauses on clean
	// speech unless Config.NoiseAlways); NoiseFrames counts the frames it ran on.
	NoiseActive bool
	NoiseFrames uint64
}

// Stats returns the processor's current state.
func (p *Processor) Stats() Stats {
	st := Stats{EchoCancel: p.cfg.EchoCancel, NoiseSuppress: p.cfg.NoiseSuppress, GainControl: p.cfg.GainControl, Canceller: p.cfg.Canceller,
		ERLEdB: -100, ERLdB: -100, EchoDelay: -1, SpeechProbability: -1}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == nil {
		return st
	}
	st.CaptureFrames, st.ReverseFrames = p.captured, p.reversed
	st.NoiseActive = p.cfg.NoiseSuppress && (p.cfg.NoiseAlways || !p.gate.off)
	st.NoiseFrames = p.nsFrames
	var cs C.parley_apm_stats
	C.parley_apm_read_stats(p.h, &cs)
	st.HasEcho = cs.has_echo != 0
	st.HasVoice = cs.has_voice != 0
	st.ERLEdB, st.ERLdB = int(cs.erle_db), int(cs.erl_db)
	if cs.delay_median_ms >= 0 {
		st.EchoDelay = time.Duration(cs.delay_median_ms) * time.Millisecond
	}
	if cs.speech_probability >= 0 {
		st.SpeechProbability = float64(cs.speech_probability)
	}
	return st
}

// Close frees the processor. It is safe to call more than once.
func (p *Processor) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h != nil {
		C.parley_apm_free(p.h)
		p.h = nil
	}
	return nil
}
