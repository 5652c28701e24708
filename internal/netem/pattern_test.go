package netem

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseLossPattern(t *testing.T) {
	f, err := os.Open("testdata/burst.pattern")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pat, err := ParseLossPattern(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(pat) != 20 || !pat[17] || !pat[19] || pat[16] {
		t.Fatalf("pattern %v", pat)
	}
	l := mustLink(t, LinkConfig{Loss: LossConfig{Model: LossReplay, Pattern: pat}}, 1)
	rate, burst := lossRuns(l, 2000)
	if rate != 0.15 || burst != 3 {
		t.Errorf("replay: loss %v burst %v, want 0.15 and 3", rate, burst)
	}
	for _, bad := range []string{"", "# only a comment\n", "01\n0x1\n"} {
		if _, err := ParseLossPattern(strings.NewReader(bad)); !errors.Is(err, ErrInvalidTrace) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := ParseLossPattern(strings.NewReader("01\n0x1\n")); err == nil || !strings.HasPrefix(err.Error(), "netem: loss pattern line 2:") {
		t.Errorf("error does not name the line: %v", err)
	}
}

func FuzzParseLossPattern(f *testing.F) {
	addSeeds(f, "burst.pattern")
	f.Add([]byte("1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pat, err := ParseLossPattern(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrInvalidTrace) {
				t.Fatal(err)
			}
			return
		}
		l, err := NewLink(LinkConfig{Loss: LossConfig{Model: LossReplay, Pattern: pat}}, 1)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 * len(pat) {
			if l.Send(time.Duration(i), 100).Dropped != pat[i%len(pat)] {
				t.Fatal("replay differs from the pattern")
			}
		}
	})
}
