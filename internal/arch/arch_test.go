package arch

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parley-voice/parley/internal/testenv"
)

const module = "github.com/parley-voice/parley"

// pkgInfo is what the rules need to know of one package directory.
type pkgInfo struct {
	imports  map[string]bool // non-test imports
	cgo      bool
	cLibs    map[string]bool // C libraries linked through `#cgo pkg-config:`
	hasDoc   bool
	hasFiles bool
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// loadPackages parses the non-test Go files of every package in the module.
func loadPackages(t *testing.T) map[string]*pkgInfo {
	root := repoRoot(t)
	pkgs := map[string]*pkgInfo{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		p := pkgs[rel]
		if p == nil {
			p = &pkgInfo{imports: map[string]bool{}, cLibs: map[string]bool{}}
			pkgs[rel] = p
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		p.hasFiles = true
		if f.Doc != nil && strings.HasPrefix(f.Doc.Text(), "Package ") || f.Doc != nil && f.Name.Name == "main" && strings.HasPrefix(f.Doc.Text(), "Command ") {
			p.hasDoc = true
		}
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			if ip == "C" {
				p.cgo = true
				for _, cg := range f.Comments { // the cgo preamble
					for _, line := range strings.Split(cg.Text(), "\n") {
						if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "#cgo pkg-config:"); ok {
							for _, lib := range strings.Fields(rest) {
								p.cLibs[lib] = true
							}
						}
					}
				}
				continue
			}
			p.imports[ip] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func isStd(ip string) bool { return !strings.Contains(strings.SplitN(ip, "/", 2)[0], ".") }

// under reports whether package dir rel is dir or below it.
func under(rel, dir string) bool { return rel == dir || strings.HasPrefix(rel, dir+"/") }

func TestImportRules(t *testing.T) {
	pkgs := loadPackages(t)
	if len(pkgs) < 3 {
		t.Fatalf("found only %d packages: the walk is broken", len(pkgs))
	}
	for rel, p := range pkgs {
		for ip := range p.imports {
			project := strings.HasPrefix(ip, module+"/")
			own := strings.TrimPrefix(ip, module+"/")
			pion := strings.HasPrefix(ip, "github.com/pion/")
			switch {
			case under(rel, "adapt"):
				// Pure: std and gonum; no pion and no project package outside adapt itself.
				if pion || (project && !under(own, "adapt")) || (!isStd(ip) && !project && !strings.HasPrefix(ip, "gonum.org/")) {
					t.Errorf("%s imports %s: adapt may import only std, gonum and its own subpackages", rel, ip)
				}
			case under(rel, "e2ee"):
				if pion || project && !under(own, "e2ee") || (!isStd(ip) && !project && !strings.HasPrefix(ip, "golang.org/x/crypto")) {
					t.Errorf("%s imports %s: e2ee may import only std and golang.org/x/crypto", rel, ip)
				}
			case under(rel, "codec"):
				// codec binds libopus itself through cgo (codec/libopus.go); it no longer uses
				// gopkg.in/hraban/opus.v2.
				if project || !isStd(ip) {
					t.Errorf("%s imports %s: codec may import only std (it calls libopus through its own cgo)", rel, ip)
				}
			case under(rel, "internal/netem"):
				if project && !under(own, "internal/netem") || (!isStd(ip) && !project && !strings.HasPrefix(ip, "github.com/pion/transport/")) {
					t.Errorf("%s imports %s: netem may import only std and pion/transport", rel, ip)
				}
			case under(rel, "internal/echolab"):
				// A pure-Go lab of signals: codec for WAV and resampling, gonum for the FFT.
				if project && !under(own, "internal/echolab") && own != "codec" || (!isStd(ip) && !project && !strings.HasPrefix(ip, "gonum.org/")) {
					t.Errorf("%s imports %s: echolab may import only std, gonum and codec", rel, ip)
				}
			case under(rel, "engine/media"):
				// The media core is pure: no pion/webrtc, ICE or transport (pion/rtp's header
				// types are fine), no signaling, no other engine package but jitter and audio.
				if pion && !strings.HasPrefix(ip, "github.com/pion/rtp") ||
					project && (under(own, "signaling") || under(own, "bench") || under(own, "cmd") || under(own, "internal")) ||
					project && under(own, "engine") && !under(own, "engine/media") && own != "engine/jitter" && own != "engine/audio" {
					t.Errorf("%s imports %s: engine/media imports no pion but pion/rtp, no signaling, and of the engine only jitter and audio", rel, ip)
				}
			case under(rel, "engine"):
				if strings.HasPrefix(ip, "github.com/nats-io/") || project && strings.Contains(own, "server") ||
					project && (under(own, "bench") || under(own, "cmd") || under(own, "internal/natlab") || under(own, "internal/echolab")) {
					t.Errorf("%s imports %s: the engine never imports the signaling server, NATS, bench or test labs", rel, ip)
				}
			}
			if project && !under(rel, "cmd") && under(own, "cmd") {
				t.Errorf("%s imports the command %s", rel, ip)
			}
		}
	}
}

// TestMediaIsPure: engine/media starts no goroutine and reads no wall clock or timer; its
// drivers (the engine in real time, the bench in virtual time) hand it every time.
func TestMediaIsPure(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "engine", "media")
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no engine/media sources (%v)", err)
	}
	banned := map[string]bool{"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
		"AfterFunc": true, "NewTimer": true, "NewTicker": true, "Tick": true}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				t.Errorf("%s: engine/media starts a goroutine", fset.Position(n.Pos()))
			case *ast.SelectorExpr:
				if id, ok := n.X.(*ast.Ident); ok && id.Name == "time" && banned[n.Sel.Name] {
					t.Errorf("%s: engine/media calls time.%s: times are handed in", fset.Position(n.Pos()), n.Sel.Name)
				}
			}
			return true
		})
	}
}

func TestCgoOnlyWhereAllowed(t *testing.T) {
	for rel, p := range loadPackages(t) {
		if p.cgo && rel != "codec" && rel != "engine/audio/portaudio" && rel != "engine/audio/apm" {
			t.Errorf("%s uses cgo: only codec, engine/audio/portaudio and engine/audio/apm may", rel)
		}
	}
}

// cLibs are the C libraries each cgo package may link (pkg-config names), all of them Debian
// packages scripts/deps.sh installs: libopus, PortAudio (with the ALSA and JACK it is built
// over), webrtc-audio-processing and speexdsp (apm's linear echo filter, see DESIGN).
var cLibs = map[string][]string{
	"codec":                  {"opus"},
	"engine/audio/portaudio": {"portaudio-2.0", "alsa", "jack"},
	"engine/audio/apm":       {"webrtc-audio-processing", "speexdsp"},
}

func TestCLibrariesOnlyWhereAllowed(t *testing.T) {
	for rel, p := range loadPackages(t) {
		for lib := range p.cLibs {
			if !slices.Contains(cLibs[rel], lib) {
				t.Errorf("%s links %s: allowed %v", rel, lib, cLibs[rel])
			}
		}
	}
}

func TestEveryPackageDocumented(t *testing.T) {
	for rel, p := range loadPackages(t) {
		if p.hasFiles && !p.hasDoc {
			t.Errorf("%s has no package doc comment (\"Package name ...\" or \"Command name ...\")", rel)
		}
	}
}
