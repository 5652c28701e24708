package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestPackageInitIsLight runs this test binary again with GODEBUG=inittrace=1 and sums what the
// package initialisers of Parley's own packages allocate: commands such as `parley bench pesq`
// must not pay for pion, Prometheus or PortAudio objects built at start-up (those are built
// when a call, the server or a sound device needs them). The libraries' own initialisers are
// logged, not limited: they run in every command of the one binary.
func TestPackageInitIsLight(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	line := regexp.MustCompile(`^init (\S+) @\S+ \S+, ([0-9.]+) ms clock, ([0-9]+) bytes, ([0-9]+) allocs`)
	var ownBytes, allBytes int
	var ownMs, allMs float64
	n := 0
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n++
		ms, _ := strconv.ParseFloat(m[2], 64)
		b, _ := strconv.Atoi(m[3])
		allBytes, allMs = allBytes+b, allMs+ms
		if strings.HasPrefix(m[1], "github.com/parley-voice/parley") {
			ownBytes, ownMs = ownBytes+b, ownMs+ms
		}
	}
	if n == 0 {
		t.Fatalf("no inittrace lines in:\n%s", stderr.String())
	}
	t.Logf("package init: %d packages, %.2f ms, %d bytes; Parley's own: %.3f ms, %d bytes", n, allMs, allBytes, ownMs, ownBytes)
	if ownBytes > 64<<10 {
		t.Errorf("Parley's package initialisers allocate %d bytes (limit 64 KiB): build at first use instead", ownBytes)
	}
}
