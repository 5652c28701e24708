// shim.h is the C face of the C++ shim over webrtc-audio-processing 0.3 (shim.cc).
#ifndef PARLEY_APM_SHIM_H
#define PARLEY_APM_SHIM_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct parley_apm parley_apm;

typedef struct {
	int sample_rate_hz;    // 8000, 16000, 32000 or 48000
	int echo_cancel;       // bool
	int echo_suppression;  // 0 low, 1 moderate, 2 high
	int noise_suppress;    // bool
	int ns_level;          // 0 low .. 3 very high
	int gain_control;      // bool
	int agc_target_dbfs;   // 0..31 (positive: dB below full scale)
	int agc_compression_db;// 0..90
	int high_pass;         // bool
	int voice_detection;   // bool
	int linear;            // bool: speexdsp's linear echo canceller (MDF) before webrtc's stages
	int linear_tail;       // its filter length in samples
	int linear_ring;       // far-end frames the linear stage may hold (playout ahead of capture)
	int dc_block;          // bool: a 10 Hz first-order DC blocker on the capture stream
	int res_db;            // 0: off; else speexdsp's residual echo suppression after the linear stage, dB (negative)
	int res_active_db;     // the same while the near end talks
} parley_apm_config;

typedef struct {
	int has_echo;          // last capture frame may contain echo
	int has_voice;         // VAD on the last capture frame
	float speech_probability;
	int erl_db, erle_db, rerl_db, a_nlp_db; // averages, -100 when unknown
	int delay_median_ms, delay_std_ms;      // -1 when unknown
	float fraction_poor_delays;
} parley_apm_stats;

// parley_apm_new returns NULL and sets *err (a webrtc AudioProcessing::Error) on failure.
parley_apm *parley_apm_new(const parley_apm_config *cfg, int *err);
void parley_apm_free(parley_apm *a);
// parley_apm_reverse analyses one 10 ms frame of the far-end signal as played.
int parley_apm_reverse(parley_apm *a, const float *frame);
// parley_apm_capture processes one 10 ms capture frame in place; delay_ms is the playout-to-
// capture delay to report (ignored without echo cancellation).
// ns_on turns the noise suppressor (when configured) on or off from this frame on.
int parley_apm_capture(parley_apm *a, float *frame, int delay_ms, int ns_on);
int parley_apm_read_stats(parley_apm *a, parley_apm_stats *out);

#ifdef __cplusplus
}
#endif
#endif
