package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-voice/parley/codec"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), &cmdEnv{Stdout: &o, Stderr: &e}, args)
	return code, o.String(), e.String()
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string // in stdout+stderr
	}{
		{nil, 2, "Usage: parley"},
		{[]string{"help"}, 0, "Commands:"},
		{[]string{"--help"}, 0, "Commands:"},
		{[]string{"nosuch"}, 2, `unknown command "nosuch"`},
		{[]string{"version"}, 0, "parley "},
		{[]string{"--version"}, 0, "commit"},
		{[]string{"help", "bench", "pesq"}, 0, "Usage: parley bench pesq"},
		{[]string{"version", "-bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"demo", "-h"}, 0, "Usage: parley demo"},
		{[]string{"help", "demo"}, 0, "Usage: parley demo"},
		{[]string{"demo", "-link", "moon"}, 2, "moon"},
		{[]string{"demo", "extra"}, 2, "takes no arguments"},
		{[]string{"bench"}, 2, "name a benchmark"},
		{[]string{"bench", "nosuch"}, 2, `unknown benchmark "nosuch"`},
		{[]string{"bench", "codec", "-seeds", "0"}, 2, "-seeds 0"},
		{[]string{"bench", "codec", "-trace", "nocolon"}, 2, "FORMAT:PATH"},
		{[]string{"bench", "codec", "-configs", "nosuch"}, 2, "unknown config"},
		{[]string{"bench", "adapt", "-profiles", "moon"}, 2, "moon"},
		{[]string{"call"}, 2, "name the one user to call"},
		{[]string{"call", "bob"}, 2, "-as NAME"},
		{[]string{"call", "bob", "-as", "alice", "-relay", "-direct"}, 2, "exclude each other"},
		{[]string{"listen", "extra"}, 2, "takes no arguments"},
		{[]string{"listen"}, 2, "-as NAME"},
		{[]string{"serve", "-addr", "nocolon"}, 2, "missing port"},
		{[]string{"serve", "-turn-secret", "s"}, 2, "go together"},
		{[]string{"id"}, 2, "say new or show"},
		{[]string{"id", "show", "-dir", "/nonexistent/parley-test"}, 1, "no identity"},
		{[]string{"bench", "signaling", "-clients", "1"}, 2, "-clients 1"},
	}
	for _, c := range cases {
		code, o, e := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(o+e, c.want) {
			t.Errorf("parley %v: exit %d, output %q; want exit %d mentioning %q", c.args, code, o+e, c.code, c.want)
		}
	}
}

func TestDemoWritesRecordings(t *testing.T) {
	dir := t.TempDir()
	code, o, e := runCLI(t, "demo", "-offline", "-out", dir, "-link", "lte-bursty")
	if code != 0 {
		t.Fatalf("demo exit %d: %s %s", code, o, e)
	}
	if !strings.Contains(o, "PESQ-WB") {
		t.Fatalf("demo output has no PESQ score:\n%s", o)
	}
	for _, f := range []string{"alice.wav", "bob.wav", "bob-plc-only.wav"} {
		a, err := codec.ReadWAVFile(filepath.Join(dir, f))
		if err != nil || a.Duration().Seconds() < 5 {
			t.Fatalf("%s: %v (%v)", f, err, a.Duration())
		}
	}
	// Each printed score is that of the files as written.
	for _, f := range []string{"bob.wav", "bob-plc-only.wav"} {
		q, err := scoreWAVFiles(filepath.Join(dir, "alice.wav"), filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if line := fmt.Sprintf("PESQ-WB %.2f   PESQ-NB %.2f   -> %s", q.WB, q.NB, filepath.Join(dir, f)); !strings.Contains(o, line) {
			t.Errorf("%s scores PESQ-WB %.4f, NB %.4f; the demo printed otherwise:\n%s", f, q.WB, q.NB, o)
		}
	}
}

func TestBenchCodecQuick(t *testing.T) {
	dir := t.TempDir()
	code, o, e := runCLI(t, "bench", "codec", "-quick", "-seeds", "1", "-no-progress", "-out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	for _, want := range []string{"32k-plc", "32k-fec", "32k-red2", "random 10%", "PESQ-WB"} {
		if !strings.Contains(o, want) {
			t.Errorf("table lacks %q:\n%s", want, o)
		}
	}
	for _, f := range []string{"codec.csv", "codec.json", "mos-vs-loss-random.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}
