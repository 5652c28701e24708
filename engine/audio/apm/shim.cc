// shim.cc wraps webrtc::AudioProcessing (Debian's webrtc-audio-processing 0.3) in a C API for
// cgo. One parley_apm owns one AudioProcessing instance configured like PulseAudio's
// echo-cancel module: extended filter and delay-agnostic AEC, digital AGC without the
// analog-level "experimental" AGC. Nothing here allocates per frame.
#include <new>

#include "webrtc/modules/audio_processing/include/audio_processing.h"
#include "shim.h"

struct parley_apm {
	webrtc::AudioProcessing *apm;
	webrtc::StreamConfig stream;
	int echo_cancel;
};

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
	parley_apm *a = new (std::nothrow) parley_apm;
	if (!a) {
		delete apm;
		*err = webrtc::AudioProcessing::kCreationFailedError;
		return nullptr;
	}
	a->apm = apm;
	a->stream = sc;
	a->echo_cancel = cfg->echo_cancel;
	return a;
}

extern "C" void parley_apm_free(parley_apm *a) {
	if (!a) return;
	delete a->apm;
	delete a;
}

extern "C" int parley_apm_reverse(parley_apm *a, const float *frame) {
	// AnalyzeReverseStream is the read-only form of ProcessReverseStream (which may change the
	// frame only when intelligibility enhancement is on; it is not).
	const float *src[1] = {frame};
	return a->apm->AnalyzeReverseStream(src, a->stream.num_frames(), a->stream.sample_rate_hz(),
		webrtc::AudioProcessing::kMono);
}

extern "C" int parley_apm_capture(parley_apm *a, float *frame, int delay_ms) {
	if (a->echo_cancel) {
		// Out-of-range values are clamped by webrtc and reported as a warning (-13).
		a->apm->set_stream_delay_ms(delay_ms);
	}
	const float *src[1] = {frame};
	float *dst[1] = {frame};
	int rc = a->apm->ProcessStream(src, a->stream, a->stream, dst);
	return rc;
}

extern "C" int parley_apm_read_stats(parley_apm *a, parley_apm_stats *out) {
	webrtc::AudioProcessing *apm = a->apm;
	out->has_echo = 0;
	out->erl_db = out->erle_db = out->rerl_db = out->a_nlp_db = -100;
	out->delay_median_ms = out->delay_std_ms = -1;
	out->fraction_poor_delays = -1;
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
