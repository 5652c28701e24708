// Package testenv locates what tests may read beyond their own package: the module root, and
// the ../shared/data folder beside it that developers' machines and CI have and a user's fresh
// clone does not. Tests that find the shared folder must use it (never skip there); tests that
// do not find it fall back to self-contained checks.
package testenv

import (
	"errors"
	"os"
	"path/filepath"
)

// ModuleRoot walks up from the working directory (a package directory under `go test`) to the
// directory holding go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testenv: no go.mod above the working directory")
		}
		dir = parent
	}
}

// SharedData returns ../shared/data/<sub...> beside the module root, or "" when it does not
// exist.
func SharedData(sub ...string) string {
	root, err := ModuleRoot()
	if err != nil {
		return ""
	}
	p := filepath.Join(append([]string{root, "..", "shared", "data"}, sub...)...)
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}
