package main

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-voice/parley/codec"
)

// writeSpeechPair writes codec2's real speech as ref.wav and a copy with every 10th 20 ms frame
// zeroed as deg.wav, both 16 kHz.
func writeSpeechPair(t *testing.T) (ref, deg string) {
	t.Helper()
	a, err := codec.ReadWAVFile("/usr/share/codec2/raw/speech_orig_16k.wav")
	if err != nil {
		t.Fatalf("real speech missing (scripts/deps.sh installs codec2-examples): %v", err)
	}
	a.Samples = a.Samples[:6*a.SampleRateHz]
	d := codec.Audio{SampleRateHz: a.SampleRateHz, Samples: append([]float32(nil), a.Samples...)}
	for f := 0; (f+1)*320 <= len(d.Samples); f += 10 {
		clear(d.Samples[f*320 : (f+1)*320])
	}
	dir := t.TempDir()
	ref, deg = filepath.Join(dir, "ref.wav"), filepath.Join(dir, "deg.wav")
	if err := codec.WriteWAVFile(ref, a, codec.WAVPCM16); err != nil {
		t.Fatal(err)
	}
	if err := codec.WriteWAVFile(deg, d, codec.WAVFloat32); err != nil {
		t.Fatal(err)
	}
	return ref, deg
}

func score(t *testing.T, out, label string) float64 {
	t.Helper()
	m := regexp.MustCompile(label + `\s+P\.862\.\d MOS-LQO (\d\.\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %s score in output:\n%s", label, out)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func TestBenchPESQCommand(t *testing.T) {
	ref, deg := writeSpeechPair(t)
	code, o, e := runCLI(t, "bench", "pesq", ref, ref)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	if wb, nb := score(t, o, "PESQ-WB"), score(t, o, "PESQ-NB"); wb < 4.64 || nb < 4.54 {
		t.Fatalf("identical files scored WB %.3f NB %.3f, want the ceilings 4.644 / 4.549", wb, nb)
	}
	code, o, e = runCLI(t, "bench", "pesq", "--wb", ref, deg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	if wb := score(t, o, "PESQ-WB"); wb > 4.0 || wb < 1.5 || strings.Contains(o, "PESQ-NB") {
		t.Fatalf("10%% zeroed frames scored WB %.3f (want clearly degraded), output:\n%s", wb, o)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bench", "pesq", ref}, 2, "needs REF.wav and DEG.wav"},
		{[]string{"bench", "pesq", "--nb", "--wb", ref, deg}, 2, "exclude each other"},
		{[]string{"bench", "pesq", "--variant", "1999", ref, deg}, 2, "cor2 or 2005"},
		{[]string{"bench", "pesq", ref, filepath.Join(t.TempDir(), "missing.wav")}, 1, "no such file"},
	} {
		code, o, e := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(o+e, c.want) {
			t.Errorf("parley %v: exit %d %q, want %d mentioning %q", c.args, code, o+e, c.code, c.want)
		}
	}
}

func TestNetemCommandUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"netem", "-h"}, 0, "lte-bursty"},
		{[]string{"netem"}, 2, "needs --listen and --to"},
		{[]string{"netem", "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--profile", "moon"}, 2, "moon"},
		{[]string{"netem", "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--loss", "1.5"}, 2, "1.5"},
	} {
		code, o, e := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(o+e, c.want) {
			t.Errorf("parley %v: exit %d %q, want %d mentioning %q", c.args, code, o+e, c.code, c.want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the command goroutine and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestNetemCommandProxiesUDP runs `parley netem` between a UDP client and an echo server on
// loopback and checks that datagrams come back through it, then that cancelling ends it cleanly.
func TestNetemCommandProxiesUDP(t *testing.T) {
	echo, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := echo.ReadFrom(buf)
			if err != nil {
				return
			}
			echo.WriteTo(buf[:n], from)
		}
	}()
	// Reserve a free port for the proxy, then hand it over.
	probe, _ := net.ListenPacket("udp", "127.0.0.1:0")
	listen := probe.LocalAddr().String()
	probe.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &cmdEnv{Stdout: &bytes.Buffer{}, Stderr: stderr},
			[]string{"netem", "--listen", listen, "--to", echo.LocalAddr().String(), "--profile", "clean", "--delay", "5ms"})
	}()
	client, err := net.Dial("udp", listen)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	got := 0
	buf := make([]byte, 64)
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; got < 5 && time.Now().Before(deadline); i++ {
		client.Write([]byte("ping " + strconv.Itoa(i)))
		client.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if n, err := client.Read(buf); err == nil && strings.HasPrefix(string(buf[:n]), "ping ") {
			got++
		}
	}
	if got < 5 {
		t.Fatalf("only %d echoes came back through the proxy; stderr:\n%s", got, stderr.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("netem exit %d after cancel; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("netem did not stop after cancel")
	}
}
