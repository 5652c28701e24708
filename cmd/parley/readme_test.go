package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The README drift check. Every line of a fenced shell block in README.md is a command the
// test checks:
//   - "make T": T is a target of the Makefile;
//   - "export NAME=VALUE ...": every NAME is an environment variable parley reads;
//   - "parley ...": every flag it uses exists ('parley <command> -h' lists it) and, for the lines
//     in readmeRuns, the command really runs, with the substitutions given there (temporary
//     directories, free ports, tiny inputs);
//   - anything else fails the test: add a rule here when the README gains a new kind of command.
// The embedding example (the ```go block under "## Embedding") must be a verbatim excerpt of
// engine/example_test.go, which 'go test ./engine' compiles and runs.

// readmeRun is how the test runs one README command line: args replaces the line's arguments
// ({TMP} is a temporary directory, {ADDR} a free loopback address for the signaling server, {WS}
// its WebSocket URL). bg starts it in the background: forever (cancelled at the end) or, with
// exits, until it ends by itself after the next foreground command. Foreground commands must
// exit 0.
type readmeRun struct {
	args  string
	bg    bool
	exits bool
}

// readmeRuns is the README-to-test substitution table: the "Placing calls" walk-through, run
// for real in one process (a server, two identities, a listener, a relay-only call carrying a
// 3 s speech file, and the PESQ score of what bob recorded).
var readmeRuns = map[string]readmeRun{
	"parley serve -addr 127.0.0.1:7000 -turn-allow-peer 127.0.0.0/8": {args: "serve -addr {ADDR} -turn-listen 127.0.0.1:0 -turn-allow-peer 127.0.0.0/8 -data {TMP}/data", bg: true},
	"parley id new -dir ./bob":                                       {args: "id new -dir {TMP}/bob"},
	"parley id new -dir ./alice":                                     {args: "id new -dir {TMP}/alice"},
	"parley listen -as bob -dir ./bob -out bob.wav": {
		args: "listen -as bob -dir {TMP}/bob -out {TMP}/bob.wav -server {WS}", bg: true, exits: true},
	"parley call bob -as alice -dir ./alice -in speech.wav -relay": {
		args: "call bob -as alice -dir {TMP}/alice -in {TMP}/speech.wav -relay -server {WS}"},
	"parley bench pesq speech.wav bob.wav": {args: "bench pesq {TMP}/speech.wav {TMP}/bob.wav"},
}

// readmeModeFlags are flags a command takes before its flag set sees the arguments (parley
// demo picks the live or the offline demo with them); -h does not list them.
var readmeModeFlags = map[string][]string{"demo": {"offline", "live"}}

// readmeCommand is one command line of a fenced shell block.
type readmeCommand struct {
	line string // as written, comment removed
	at   int    // line number in README.md
}

func TestREADMECommands(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cmds := readmeShellLines(string(readme))
	if len(cmds) < 10 {
		t.Fatalf("found %d commands in README.md's shell blocks; the parser is broken", len(cmds))
	}
	targets := makeTargets(t)
	seen := map[string]bool{}
	var parley []readmeCommand
	for _, c := range cmds {
		words := shellWords(c.line)
		switch words[0] {
		case "make":
			for _, tg := range words[1:] {
				if !targets[tg] {
					t.Errorf("README.md:%d: %q: the Makefile has no target %q", c.at, c.line, tg)
				}
			}
		case "parley":
			parley = append(parley, c)
			seen[c.line] = true
			checkFlags(t, c, words[1:])
		case "export":
			// Only the environment variables the CLI reads.
			for _, w := range words[1:] {
				name, _, _ := strings.Cut(w, "=")
				if name != envServer && name != envUser && name != envDir {
					t.Errorf("README.md:%d: %q: parley reads no environment variable %q", c.at, c.line, name)
				}
			}
		default:
			t.Errorf("README.md:%d: %q: the drift check knows no rule for %q commands (add one to readme_test.go)", c.at, c.line, words[0])
		}
	}
	for line := range readmeRuns {
		if !seen[line] {
			t.Errorf("readmeRuns has %q, which README.md no longer shows: update the table", line)
		}
	}
	if !t.Failed() {
		runREADME(t, parley)
	}
}

// readmeShellLines returns the command lines of README.md's ```sh, ```shell, ```bash and
// ```console blocks: comments and prompts removed, continuations joined.
func readmeShellLines(readme string) []readmeCommand {
	var out []readmeCommand
	in := false
	var pending string
	pendingAt := 0
	sc := bufio.NewScanner(strings.NewReader(readme))
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if strings.HasPrefix(l, "```") {
			lang := strings.TrimSpace(strings.TrimPrefix(l, "```"))
			switch {
			case in:
				in = false
			case lang == "sh" || lang == "shell" || lang == "bash" || lang == "console":
				in = true
			}
			continue
		}
		if !in {
			continue
		}
		l = strings.TrimSpace(stripComment(l))
		l = strings.TrimPrefix(strings.TrimPrefix(l, "$ "), "% ")
		if pending != "" {
			l, n = pending+" "+l, pendingAt
			pending = ""
		}
		if strings.HasSuffix(l, "\\") {
			pending, pendingAt = strings.TrimSpace(strings.TrimSuffix(l, "\\")), n
			continue
		}
		if l != "" {
			out = append(out, readmeCommand{line: strings.Join(strings.Fields(l), " "), at: n})
		}
	}
	return out
}

// stripComment removes a # comment that is not inside quotes.
func stripComment(l string) string {
	var q rune
	for i, r := range l {
		switch {
		case q != 0 && r == q:
			q = 0
		case q == 0 && (r == '\'' || r == '"'):
			q = r
		case q == 0 && r == '#' && (i == 0 || l[i-1] == ' ' || l[i-1] == '\t'):
			return l[:i]
		}
	}
	return l
}

// shellWords splits a command line on blanks, honouring single and double quotes.
func shellWords(l string) []string {
	var words []string
	var cur strings.Builder
	var q rune
	have := false
	for _, r := range l {
		switch {
		case q != 0 && r == q:
			q = 0
		case q != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			q, have = r, true
		case r == ' ' || r == '\t':
			if have || cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
		}
	}
	if have || cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words
}

func makeTargets(t *testing.T) map[string]bool {
	b, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([A-Za-z0-9_.-]+)\s*:`).FindAllStringSubmatch(string(b), -1) {
		targets[m[1]] = true
	}
	return targets
}

// commandPath is the subcommand words of args: the command, plus the benchmark for bench and
// the verb for id.
func commandPath(args []string) []string {
	if len(args) == 0 {
		return nil
	}
	n := 1
	if (args[0] == "bench" || args[0] == "id") && len(args) > 1 && !strings.HasPrefix(args[1], "-") {
		n = 2
	}
	return args[:n]
}

var helpFlag = regexp.MustCompile(`(?m)^  -([A-Za-z0-9][A-Za-z0-9_.-]*)`)

// checkFlags runs 'parley <command> -h' and reports every flag of the line it does not list.
func checkFlags(t *testing.T, c readmeCommand, args []string) {
	for _, p := range flagProblems(args) {
		t.Errorf("README.md:%d: %q: %s", c.at, c.line, p)
	}
}

func flagProblems(args []string) []string {
	path := commandPath(args)
	if len(path) == 0 {
		return []string{"a bare 'parley'"}
	}
	helpArgs := append([]string(nil), path...)
	for _, a := range args[len(path):] { // a mode flag selects the flag set: ask that one
		if slices.Contains(readmeModeFlags[path[0]], strings.TrimLeft(a, "-")) {
			helpArgs = append(helpArgs, a)
		}
	}
	var o, e bytes.Buffer
	code := run(context.Background(), &cmdEnv{Stdout: &o, Stderr: &e}, append(helpArgs, "-h"))
	help := o.String() + e.String()
	if code != 0 || !strings.Contains(help, "Usage: parley "+path[0]) {
		return []string{fmt.Sprintf("'parley %s -h' exits %d: %s", strings.Join(path, " "), code, help)}
	}
	known := map[string]bool{}
	for _, m := range helpFlag.FindAllStringSubmatch(help, -1) {
		known[m[1]] = true
	}
	for _, f := range readmeModeFlags[path[0]] {
		known[f] = true
	}
	var probs []string
	for _, a := range args[len(path):] {
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !known[name] {
			probs = append(probs, fmt.Sprintf("parley %s has no flag -%s", strings.Join(path, " "), name))
		}
	}
	return probs
}

// TestREADMEFlagCheckCatchesDrift: the flag check rejects a removed flag, an unknown command
// and an unknown benchmark, and accepts the real ones (in both flag spellings).
func TestREADMEFlagCheckCatchesDrift(t *testing.T) {
	for _, c := range []struct {
		line string
		bad  bool
	}{
		{"parley demo -duration 8s -link lte", false},
		{"parley demo -offline -kbps 24", false},
		{"parley netem --listen 127.0.0.1:1 --to 127.0.0.1:2 --profile=lte", false},
		{"parley bench pesq -wb a.wav b.wav", false},
		{"parley demo -duration 8s -no-such-flag", true},
		{"parley call bob -as alice -kbs 24", true},
		{"parley dial bob", true},
		{"parley bench codecs -quick", true},
	} {
		probs := flagProblems(shellWords(c.line)[1:])
		if (len(probs) > 0) != c.bad {
			t.Errorf("%q: problems %q, want bad=%v", c.line, probs, c.bad)
		}
	}
	if got := shellWords(`parley call "bob smith" -in 'my file.wav'`); len(got) != 5 || got[2] != "bob smith" || got[4] != "my file.wav" {
		t.Errorf("shellWords: %q", got)
	}
	if got := readmeShellLines("x\n```sh\nmake demo  # the demo\nparley demo \\\n  -relay\n```\n```go\nparley no\n```\n"); len(got) != 2 || got[1].line != "parley demo -relay" {
		t.Errorf("readmeShellLines: %+v", got)
	}
}

// bgCommand is a README command running in the background.
type bgCommand struct {
	line     string
	exits    bool
	out, err *syncBuffer
	done     chan int
	cancel   context.CancelFunc
	code     int
	finished bool
}

// runREADME runs the README's command lines that readmeRuns covers, in README order.
func runREADME(t *testing.T, cmds []readmeCommand) {
	tmp := t.TempDir()
	addr := freeAddr(t)
	writeSpeechWAV(t, filepath.Join(tmp, "speech.wav"))
	subst := strings.NewReplacer("{TMP}", tmp, "{ADDR}", addr, "{WS}", "ws://"+addr+"/v1/ws")

	var bg []*bgCommand
	defer func() {
		for _, b := range bg {
			b.cancel()
			if !b.finished {
				select {
				case <-b.done:
				case <-time.After(15 * time.Second):
					t.Errorf("%q did not stop when cancelled", b.line)
				}
			}
		}
	}()
	wait := func(b *bgCommand, d time.Duration) {
		if b.finished {
			return
		}
		select {
		case b.code = <-b.done:
			b.finished = true
		case <-time.After(d):
			t.Fatalf("%q still running after %v:\n%s%s", b.line, d, b.out, b.err)
		}
	}
	ran := 0
	for _, c := range cmds {
		r, ok := readmeRuns[c.line]
		if !ok {
			continue
		}
		ran++
		args := shellWords(subst.Replace(r.args))
		for _, w := range shellWords(c.line)[1:] {
			if strings.HasPrefix(w, "-") && !strings.Contains(" "+r.args+" ", " "+w+" ") {
				t.Errorf("readmeRuns[%q] drops the README's flag %s", c.line, w)
			}
		}
		if r.bg {
			ctx, cancel := context.WithCancel(context.Background())
			b := &bgCommand{line: c.line, exits: r.exits, out: &syncBuffer{}, err: &syncBuffer{}, done: make(chan int, 1), cancel: cancel}
			go func() { b.done <- run(ctx, &cmdEnv{Stdout: b.out, Stderr: b.err}, args) }()
			bg = append(bg, b)
			if err := readyFor(b, args[0], addr); err != nil {
				t.Fatalf("README.md:%d: %q: %v\n%s%s", c.at, c.line, err, b.out, b.err)
			}
			continue
		}
		var o, e bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		code := run(ctx, &cmdEnv{Stdout: &o, Stderr: &e}, args)
		cancel()
		t.Logf("README.md:%d: parley %s\n%s%s", c.at, strings.Join(args, " "), o.String(), e.String())
		if code != 0 {
			t.Fatalf("README.md:%d: %q (run as 'parley %s') exits %d", c.at, c.line, strings.Join(args, " "), code)
		}
		for _, b := range bg {
			if b.exits && !b.finished {
				wait(b, 20*time.Second)
				t.Logf("%q (background) ended %d:\n%s%s", b.line, b.code, b.out, b.err)
				if b.code != 0 {
					t.Fatalf("%q (background) exits %d", b.line, b.code)
				}
			}
		}
	}
	if ran != len(readmeRuns) {
		t.Errorf("ran %d of the %d README commands in readmeRuns", ran, len(readmeRuns))
	}
}

// readyFor waits until a background command can be used: the server accepts connections, a
// listener has logged in.
func readyFor(b *bgCommand, cmd, addr string) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case code := <-b.done:
			b.code, b.finished = code, true
			return fmt.Errorf("exited %d before it was ready", code)
		default:
		}
		switch cmd {
		case "serve":
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				return nil
			}
		case "listen":
			if strings.Contains(b.out.String(), "listening as ") {
				return nil
			}
		default:
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not ready after 15 s")
}

// TestREADMEEmbeddingExample: every Go block under "## Embedding" is a verbatim excerpt of one
// of the runnable examples (compiled and run by their packages' tests): the in-process pipe
// call of engine/example_test.go and the call through a real server of
// engine/line/example_test.go. Each example is shown.
func TestREADMEEmbeddingExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples := map[string]string{}
	for _, f := range []string{"../../engine/example_test.go", "../../engine/line/example_test.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		examples[f] = string(b)
	}
	_, sec, ok := strings.Cut(string(readme), "\n## Embedding\n")
	if !ok {
		t.Fatal("README.md has no '## Embedding' section")
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(sec, -1)
	if len(blocks) == 0 {
		t.Fatal("the Embedding section has no ```go block")
	}
	shown := map[string]bool{}
	for _, m := range blocks {
		snippet := strings.TrimSpace(m[1])
		if len(snippet) < 200 || !strings.Contains(snippet, "engine.") {
			t.Errorf("an Embedding snippet is too small to be an example:\n%s", snippet)
			continue
		}
		found := false
		for f, ex := range examples {
			if strings.Contains(ex, snippet) {
				shown[f], found = true, true
			}
		}
		if !found {
			t.Errorf("a Go block of README.md's Embedding section is not an excerpt of %v: copy it again from there.\nREADME:\n%s", slices.Sorted(maps.Keys(examples)), snippet)
		}
	}
	for f := range examples {
		if !shown[f] {
			t.Errorf("README.md's Embedding section shows nothing of %s", f)
		}
	}
}
