// speexcmp runs speexdsp's echo canceller (MDF) and preprocessor (residual echo suppression,
// optional denoise) over headerless float32 far-end and microphone files at 16 kHz and writes
// the processed microphone. It is the comparison TestSpeexComparison builds and runs; Parley
// itself uses webrtc-audio-processing. Usage: speexcmp FAR MIC OUT TAIL_MS DENOISE(0|1)
#include <stdio.h>
#include <stdlib.h>
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

int main(int argc, char **argv) {
	if (argc != 6) {
		fprintf(stderr, "usage: speexcmp FAR MIC OUT TAIL_MS DENOISE\n");
		return 2;
	}
	int rate = 16000, frame = 160, tail = atoi(argv[4]), denoise = atoi(argv[5]);
	FILE *ff = fopen(argv[1], "rb"), *fm = fopen(argv[2], "rb"), *fo = fopen(argv[3], "wb");
	if (!ff || !fm || !fo) {
		perror("speexcmp");
		return 1;
	}
	SpeexEchoState *st = speex_echo_state_init(frame, tail * rate / 1000);
	SpeexPreprocessState *pp = speex_preprocess_state_init(frame, rate);
	speex_echo_ctl(st, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
	speex_preprocess_ctl(pp, SPEEX_PREPROCESS_SET_ECHO_STATE, st);
	speex_preprocess_ctl(pp, SPEEX_PREPROCESS_SET_DENOISE, &denoise);
	float f[160], m[160];
	spx_int16_t fs[160], ms[160], os[160];
	while (fread(f, 4, frame, ff) == (size_t)frame && fread(m, 4, frame, fm) == (size_t)frame) {
		for (int i = 0; i < frame; i++) {
			float a = f[i] * 32767, b = m[i] * 32767;
			fs[i] = a > 32767 ? 32767 : a < -32768 ? -32768 : a;
			ms[i] = b > 32767 ? 32767 : b < -32768 ? -32768 : b;
		}
		speex_echo_cancellation(st, ms, fs, os);
		speex_preprocess_run(pp, os);
		for (int i = 0; i < frame; i++) m[i] = os[i] / 32768.0f;
		fwrite(m, 4, frame, fo);
	}
	speex_echo_state_destroy(st);
	speex_preprocess_state_destroy(pp);
	return fclose(fo) != 0;
}
