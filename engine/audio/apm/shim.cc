// shim.cc wraps webrtc::AudioProcessing (Debian's webrtc-audio-processing 0.3) in a C API for
// cgo. One parley_apm owns one AudioProcessing instance configured like PulseAudio's
// echo-cancel module: extended filter and delay-agnostic AEC, digital AGC without the
// analog-level "experimental" AGC. Nothing here allocates per frame.
#include <new>
#include <math.h>
#include <string.h>

#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

#include "webrtc/modules/audio_processing/include/audio_processing.h"
#include "shim.h"

// The linear stage runs speexdsp's MDF canceller on the 0-8 kHz band, at 16 kHz, where speech
// lives and where a filter of a given tail needs a third of the taps (it converges faster and
// costs less). The echo it estimates there is brought back to the stream's rate and subtracted
// from the microphone, delayed to match, so the near end and everything above 8 kHz pass
// untouched. The down- and up-sampling filters are one linear-phase FIR of odd length: the
// two together delay by exactly kTaps-1 samples, which the microphone's delay line matches.
static const int kTaps = 145;        // at the stream's rate (48 kHz: 3 ms of added delay)
static const int kMaxFactor = 3;     // 48 kHz / 16 kHz
// The reported playout-to-capture delay (set_stream_delay_ms's value) holds far-end frames
// back from the linear filter, so that its tail covers the echo from the delay less a margin
// on: up to kMaxHold frames (webrtc clamps the delay to 500 ms too), kMarginMs of margin.
static const int kMaxHold = 50;
static const int kMarginMs = 50;

struct parley_apm {
	webrtc::AudioProcessing *apm;
	webrtc::StreamConfig stream;
	int echo_cancel;
	int noise_suppress, ns_on; // configured; on now

	// The optional linear stage (speexdsp). Every buffer is allocated here, at creation.
	SpeexEchoState *mdf;
	SpeexPreprocessState *res; // speexdsp's residual echo suppressor after mdf, or NULL
	// Divergence watch (see watch): the filter once converged, and for how many active
	// frames in a row its output has been louder than its input.
	int converged, diverged;
	int resets; // how many times watch reset the filter
	int dc_block;
	float dc_x, dc_y, dc_r; // DC blocker state and pole
	int frame;               // samples per 10 ms at the stream's rate
	int factor;              // stream rate / linear stage rate (1 at 8 and 16 kHz, 2, 3)
	int lframe;              // samples per 10 ms in the linear stage
	float h[kTaps];          // the band-limiting FIR (unused when factor is 1)
	float *ring;             // far-end frames waiting for the capture frame holding their echo
	int ring_frames, ring_head, ring_len;
	int queue_frames;        // how many frames beyond hold the ring may hold
	int hold;                // far-end frames held back: the reported delay less a margin
	float *far_hist, *mic_hist; // FIR input histories: kTaps-1 + frame samples
	float *est_hist;            // zero-stuffed echo estimate: kTaps-1 + frame samples
	float *mic_delay;           // the microphone, delayed by mdelay: mdelay + frame samples
	int mdelay;                 // kTaps-1, plus one frame with the residual suppressor
	spx_int16_t *mic16_prev;    // the previous frame's mic16 (the suppressor's output lags one frame)
	spx_int16_t *far16, *mic16, *out16;
};

static void free_linear(parley_apm *a) {
	if (a->res) speex_preprocess_state_destroy(a->res);
	if (a->mdf) speex_echo_state_destroy(a->mdf);
	delete[] a->ring;
	delete[] a->far_hist;
	delete[] a->mic_hist;
	delete[] a->est_hist;
	delete[] a->mic_delay;
	delete[] a->mic16_prev;
	delete[] a->far16;
	delete[] a->mic16;
	delete[] a->out16;
}

// init_linear sets up speexdsp's stage; false when out of memory.
static bool init_linear(parley_apm *a, const parley_apm_config *cfg) {
	int rate = cfg->sample_rate_hz;
	a->frame = rate / 100;
	a->factor = rate > 16000 ? rate / 16000 : 1;
	int lrate = rate / a->factor;
	a->lframe = a->frame / a->factor;
	if (a->factor > 1) {
		// Blackman-windowed sinc, cut-off 0.45 of the linear stage's Nyquist band edge
		// (7.2 kHz at 48 kHz), unity gain at DC.
		double fc = 0.45 / a->factor, sum = 0;
		int m = kTaps - 1;
		for (int i = 0; i < kTaps; i++) {
			double t = i - m / 2.0;
			double sinc = t == 0 ? 2 * fc : sin(2 * M_PI * fc * t) / (M_PI * t);
			double w = 0.42 - 0.5 * cos(2 * M_PI * i / m) + 0.08 * cos(4 * M_PI * i / m);
			a->h[i] = (float)(sinc * w);
			sum += a->h[i];
		}
		for (int i = 0; i < kTaps; i++) a->h[i] = (float)(a->h[i] / sum);
	}
	int hist = kTaps - 1 + a->frame;
	a->queue_frames = cfg->linear_ring > 0 ? cfg->linear_ring : 1;
	a->ring_frames = a->queue_frames + kMaxHold;
	a->ring = new (std::nothrow) float[a->ring_frames * a->frame];
	a->far_hist = new (std::nothrow) float[hist]();
	a->mic_hist = new (std::nothrow) float[hist]();
	a->est_hist = new (std::nothrow) float[hist]();
	// speexdsp's preprocessor (the residual suppressor) returns each frame one frame late
	// (overlap-add), so with it the microphone's own path waits one frame more to stay aligned.
	a->mdelay = kTaps - 1 + (cfg->res_db < 0 ? a->frame : 0);
	a->mic_delay = new (std::nothrow) float[a->mdelay + a->frame]();
	a->mic16_prev = new (std::nothrow) spx_int16_t[a->lframe]();
	a->far16 = new (std::nothrow) spx_int16_t[a->lframe];
	a->mic16 = new (std::nothrow) spx_int16_t[a->lframe];
	a->out16 = new (std::nothrow) spx_int16_t[a->lframe];
	if (!a->ring || !a->far_hist || !a->mic_hist || !a->est_hist || !a->mic_delay || !a->mic16_prev || !a->far16 || !a->mic16 || !a->out16) return false;
	a->mdf = speex_echo_state_init(a->lframe, cfg->linear_tail / a->factor);
	if (!a->mdf) return false;
	speex_echo_ctl(a->mdf, SPEEX_ECHO_SET_SAMPLING_RATE, &lrate);
	if (cfg->res_db < 0) {
		a->res = speex_preprocess_state_init(a->lframe, lrate);
		if (!a->res) return false;
		int off = 0, on = 1, noise = -1, sup = cfg->res_db, act = cfg->res_active_db;
		// Denoise must be on for the suppressor's gains to apply; its own noise floor is
		// held near 0 dB so that only echo is suppressed (webrtc's NS handles noise).
		speex_preprocess_ctl(a->res, SPEEX_PREPROCESS_SET_DENOISE, &on);
		speex_preprocess_ctl(a->res, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &noise);
		speex_preprocess_ctl(a->res, SPEEX_PREPROCESS_SET_AGC, &off);
		// The VAD is off after init and stays untouched: setting it (even to off) makes
		// speexdsp print "The VAD has been replaced by a hack" on stderr for every stage.
		speex_preprocess_ctl(a->res, SPEEX_PREPROCESS_SET_DEREVERB, &off);
		speex_preprocess_ctl(a->res, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, &sup);
		speex_preprocess_ctl(a->res, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, &act);
		speex_preprocess_ctl(a->res, SPEEX_PREPROCESS_SET_ECHO_STATE, a->mdf);
	}
	return true;
}

static inline spx_int16_t to16(float v) {
	float s = v * 32768.0f;
	if (s > 32767.0f) return 32767;
	if (s < -32768.0f) return -32768;
	return (spx_int16_t)(s >= 0 ? s + 0.5f : s - 0.5f);
}

// push_far queues one far-end frame for the linear stage, dropping the oldest when the ring is
// full (playout ran further ahead of capture than the ring holds).
static void push_far(parley_apm *a, const float *frame) {
	if (a->ring_len >= a->hold + a->queue_frames || a->ring_len == a->ring_frames) {
		a->ring_head = (a->ring_head + 1) % a->ring_frames;
		a->ring_len--;
	}
	memcpy(a->ring + ((a->ring_head + a->ring_len) % a->ring_frames) * a->frame, frame, sizeof(float) * a->frame);
	a->ring_len++;
}

// down band-limits one frame x into the linear stage's rate as 16-bit samples, through the
// history hist (kTaps-1 older samples, then room for the frame).
static void down(parley_apm *a, float *hist, const float *x, spx_int16_t *out) {
	int m = kTaps - 1;
	if (a->factor == 1) {
		for (int i = 0; i < a->frame; i++) out[i] = to16(x[i]);
		return;
	}
	memcpy(hist + m, x, sizeof(float) * a->frame);
	for (int k = 0; k < a->lframe; k++) {
		const float *p = hist + m + (k + 1) * a->factor - 1; // the newest input of output k
		float acc = 0;
		for (int j = 0; j < kTaps; j++) acc += a->h[j] * p[-j];
		out[k] = to16(acc);
	}
	memmove(hist, hist + a->frame, sizeof(float) * m);
}

// kDivergedFrames active frames in a row with the filter's output louder than its input, after
// it once removed 10 dB, reset the filter (see watch).
static const int kDivergedFrames = 10;

// watch resets speexdsp's filter when it has diverged: once converged (its output 10 dB under
// the microphone in a frame where both far end and microphone are above -50 dBFS), its output
// louder than the microphone for kDivergedFrames such frames in a row. That is what an echo
// path that moved (a new playout-to-capture delay) looks like: the old estimate no longer
// cancels and adds a second echo. MDF re-adapts from there in several seconds; from zero it
// converges in about one. The first convergence is not watched (output and input are alike
// then), nor is double talk likely to trip it (the near end is in both).
static void watch(parley_apm *a) {
	double ed = 0, ee = 0, ef = 0;
	for (int k = 0; k < a->lframe; k++) {
		ed += (double)a->mic16[k] * a->mic16[k];
		ee += (double)a->out16[k] * a->out16[k];
		ef += (double)a->far16[k] * a->far16[k];
	}
	double floor = 1e-5 * 32768.0 * 32768.0 * a->lframe; // -50 dBFS
	if (ef < floor || ed < floor) return;
	if (ee < ed * 0.1) a->converged = 1;
	a->diverged = a->converged && ee > ed ? a->diverged + 1 : 0;
	if (a->diverged >= kDivergedFrames) {
		speex_echo_state_reset(a->mdf);
		a->converged = a->diverged = 0;
		a->resets++;
	}
}

// linear removes the echo speexdsp's filter estimates from one capture frame, in place,
// against the oldest queued far-end frame once hold frames are queued after it (silence
// before). delay_ms is the reported playout-to-capture delay.
static void linear(parley_apm *a, float *frame, int delay_ms) {
	int hold = (delay_ms - kMarginMs) / 10;
	hold = hold < 0 ? 0 : hold > kMaxHold ? kMaxHold : hold;
	if (hold > a->hold + 1 || hold < a->hold - 1) a->hold = hold; // ignore 10 ms of jitter
	int m = kTaps - 1;
	static const float silence[480] = {0};
	const float *far = silence;
	while (a->ring_len > a->hold + a->queue_frames) { // the delay got shorter: catch up
		a->ring_head = (a->ring_head + 1) % a->ring_frames;
		a->ring_len--;
	}
	if (a->ring_len > a->hold) {
		far = a->ring + a->ring_head * a->frame;
		a->ring_head = (a->ring_head + 1) % a->ring_frames;
		a->ring_len--;
	}
	down(a, a->far_hist, far, a->far16);
	down(a, a->mic_hist, frame, a->mic16);
	speex_echo_cancellation(a->mdf, a->mic16, a->far16, a->out16);
	watch(a);
	// The residual suppressor's output, like the filter's, becomes part of the estimate of
	// what to remove (mic - out), so the band above the linear stage still passes untouched.
	if (a->res) speex_preprocess_run(a->res, a->out16);
	if (a->factor == 1) {
		for (int i = 0; i < a->frame; i++) frame[i] = a->out16[i] / 32768.0f;
		return;
	}
	// The echo estimate (mic - error), zero-stuffed to the stream's rate.
	float *e = a->est_hist + m;
	memset(e, 0, sizeof(float) * a->frame);
	// With the residual suppressor, out16 is the previous frame's: so is the mic it pairs with.
	const spx_int16_t *mic = a->res ? a->mic16_prev : a->mic16;
	for (int k = 0; k < a->lframe; k++) e[(k + 1) * a->factor - 1] = (mic[k] - a->out16[k]) / 32768.0f;
	if (a->res) memcpy(a->mic16_prev, a->mic16, sizeof(spx_int16_t) * a->lframe);
	float *d = a->mic_delay + a->mdelay;
	memcpy(d, frame, sizeof(float) * a->frame);
	for (int n = 0; n < a->frame; n++) {
		// Only every factor-th input is non-zero: start at the first tap that meets one.
		int phase = (n + 1) % a->factor; // e[n-j] non-zero when (n-j+1) % factor == 0
		float acc = 0;
		for (int j = phase; j < kTaps; j += a->factor) acc += a->h[j] * e[n - j];
		float v = a->mic_delay[n] - a->factor * acc; // mic_delay[n] is the input mdelay ago
		frame[n] = v > 1 ? 1 : v < -1 ? -1 : v;       // a wrong estimate never exceeds full scale
	}
	memmove(a->est_hist, a->est_hist + a->frame, sizeof(float) * m);
	memmove(a->mic_delay, a->mic_delay + a->frame, sizeof(float) * a->mdelay);
}

extern "C" parley_apm *parley_apm_new(const parley_apm_config *cfg, int *err) {
	*err = 0;
	webrtc::Config config;
	config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
	config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
	config.Set<webrtc::ExperimentalAgc>(new webrtc::ExperimentalAgc(false));
	webrtc::AudioProcessing *apm = webrtc::AudioProcessing::Create(config);
	if (!apm) {
		*err = webrtc::AudioProcessing::kCreationFailedError;
		return nullptr;
	}
	webrtc::StreamConfig sc(cfg->sample_rate_hz, 1, false);
	webrtc::ProcessingConfig pc = {{sc, sc, sc, sc}};
	int rc = apm->Initialize(pc);
	if (rc == 0) rc = apm->high_pass_filter()->Enable(cfg->high_pass != 0);
	if (rc == 0 && cfg->echo_cancel) {
		webrtc::EchoCancellation *ec = apm->echo_cancellation();
		rc = ec->Enable(true);
		if (rc == 0) rc = ec->enable_drift_compensation(false);
		if (rc == 0) rc = ec->set_suppression_level(
			static_cast<webrtc::EchoCancellation::SuppressionLevel>(cfg->echo_suppression));
		if (rc == 0) rc = ec->enable_metrics(true);
		if (rc == 0) rc = ec->enable_delay_logging(true);
	}
	if (rc == 0 && cfg->noise_suppress) {
		rc = apm->noise_suppression()->set_level(
			static_cast<webrtc::NoiseSuppression::Level>(cfg->ns_level));
		if (rc == 0) rc = apm->noise_suppression()->Enable(true);
	}
	if (rc == 0 && cfg->gain_control) {
		webrtc::GainControl *gc = apm->gain_control();
		rc = gc->set_mode(webrtc::GainControl::kAdaptiveDigital);
		if (rc == 0) rc = gc->set_target_level_dbfs(cfg->agc_target_dbfs);
		if (rc == 0) rc = gc->set_compression_gain_db(cfg->agc_compression_db);
		if (rc == 0) rc = gc->enable_limiter(true);
		if (rc == 0) rc = gc->Enable(true);
	}
	if (rc == 0 && cfg->voice_detection) rc = apm->voice_detection()->Enable(true);
	if (rc != 0) {
		delete apm;
		*err = rc;
		return nullptr;
	}
	parley_apm *a = new (std::nothrow) parley_apm();
	if (!a) {
		delete apm;
		*err = webrtc::AudioProcessing::kCreationFailedError;
		return nullptr;
	}
	if (cfg->linear && !init_linear(a, cfg)) {
		free_linear(a);
		delete a;
		delete apm;
		*err = webrtc::AudioProcessing::kCreationFailedError;
		return nullptr;
	}
	a->apm = apm;
	a->stream = sc;
	a->echo_cancel = cfg->echo_cancel;
	a->dc_block = cfg->dc_block;
	a->dc_r = 1.0f - 2.0f * (float)M_PI * 10.0f / cfg->sample_rate_hz; // 10 Hz corner
	a->noise_suppress = a->ns_on = cfg->noise_suppress;
	return a;
}

extern "C" void parley_apm_free(parley_apm *a) {
	if (!a) return;
	free_linear(a);
	delete a->apm;
	delete a;
}

extern "C" int parley_apm_reverse(parley_apm *a, const float *frame) {
	// AnalyzeReverseStream is the read-only form of ProcessReverseStream (which may change the
	// frame only when intelligibility enhancement is on; it is not).
	if (a->mdf) push_far(a, frame);
	const float *src[1] = {frame};
	return a->apm->AnalyzeReverseStream(src, a->stream.num_frames(), a->stream.sample_rate_hz(),
		webrtc::AudioProcessing::kMono);
}

extern "C" int parley_apm_capture(parley_apm *a, float *frame, int delay_ms, int ns_on) {
	if (a->dc_block) {
		// y[n] = x[n] - x[n-1] + r y[n-1]: a zero at DC, a pole just inside it.
		float x1 = a->dc_x, y1 = a->dc_y, r = a->dc_r;
		for (int i = 0; i < a->stream.num_frames(); i++) {
			float x = frame[i];
			y1 = x - x1 + r * y1;
			x1 = x;
			frame[i] = y1;
		}
		a->dc_x = x1, a->dc_y = y1;
	}
	if (a->mdf) linear(a, frame, delay_ms);
	if (a->noise_suppress && ns_on != a->ns_on) {
		int rc = a->apm->noise_suppression()->Enable(ns_on != 0);
		if (rc != 0) return rc;
		a->ns_on = ns_on;
	}
	if (a->echo_cancel) {
		// Out-of-range values are clamped by webrtc and reported as a warning (-13).
		a->apm->set_stream_delay_ms(delay_ms);
	}
	const float *src[1] = {frame};
	float *dst[1] = {frame};
	int rc = a->apm->ProcessStream(src, a->stream, a->stream, dst);
	// webrtc's float path does not saturate: a stage's overshoot on a full-scale input (a
	// wrong echo estimate, the AGC's gain) is clipped here, as the int16 path would.
	for (int i = 0; i < a->stream.num_frames(); i++) {
		if (frame[i] > 1) frame[i] = 1;
		else if (frame[i] < -1) frame[i] = -1;
	}
	return rc;
}

extern "C" int parley_apm_read_stats(parley_apm *a, parley_apm_stats *out) {
	webrtc::AudioProcessing *apm = a->apm;
	out->has_echo = 0;
	out->erl_db = out->erle_db = out->rerl_db = out->a_nlp_db = -100;
	out->delay_median_ms = out->delay_std_ms = -1;
	out->fraction_poor_delays = -1;
	out->linear_resets = a->resets;
	if (a->echo_cancel) {
		webrtc::EchoCancellation *ec = apm->echo_cancellation();
		out->has_echo = ec->stream_has_echo() ? 1 : 0;
		webrtc::EchoCancellation::Metrics m;
		if (ec->GetMetrics(&m) == 0) {
			out->erl_db = m.echo_return_loss.average;
			out->erle_db = m.echo_return_loss_enhancement.average;
			out->rerl_db = m.residual_echo_return_loss.average;
			out->a_nlp_db = m.a_nlp.average;
		}
		int med = -1, sd = -1;
		float poor = -1;
		if (ec->GetDelayMetrics(&med, &sd, &poor) == 0) {
			out->delay_median_ms = med;
			out->delay_std_ms = sd;
			out->fraction_poor_delays = poor;
		}
	}
	out->has_voice = apm->voice_detection()->is_enabled() && apm->voice_detection()->stream_has_voice() ? 1 : 0;
	out->speech_probability = apm->noise_suppression()->is_enabled() ? apm->noise_suppression()->speech_probability() : -1;
	return 0;
}
