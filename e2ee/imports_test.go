package e2ee

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportBoundary guards DESIGN.md's rule: e2ee imports only the
// standard library and golang.org/x/crypto (no pion, no project package).
func TestImportBoundary(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	sawDoc := false
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Doc != nil && strings.HasPrefix(f.Doc.Text(), "Package e2ee ") {
			sawDoc = true
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first := strings.Split(path, "/")[0]
			if strings.Contains(first, ".") && !strings.HasPrefix(path, "golang.org/x/crypto/") {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
	if !sawDoc {
		t.Error("no package documentation")
	}
}
