// parley version: the module version, the commit it was built from and the codec's features.

package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/parley-voice/parley/codec"
)

// version overrides the module version when set at link time (-ldflags "-X main.version=v1.2.3");
// otherwise the version comes from the build information ("(devel)" for a source build).
var version = ""

// commit is the VCS commit when set at link time (the Makefile does: -X main.commit=...,
// "+dirty" appended for a modified tree); otherwise it comes from Go's VCS stamp, if any.
var commit = ""

// buildVersion describes this build: module version, VCS commit and time (and "+dirty" for a
// modified tree), and the Go version. Fields the build information lacks are left out.
type buildVersion struct {
	Module, Commit, Time, Go string
	Dirty                    bool
}

func readBuildVersion() buildVersion {
	v := buildVersion{Module: "(unknown)", Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		v.Module = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Dirty = s.Value == "true"
			}
		}
	}
	if version != "" {
		v.Module = version
	}
	if c, dirty := strings.CutSuffix(commit, "+dirty"); c != "" {
		v.Commit, v.Dirty = c, dirty
		v.Time = ""
	}
	if v.Module == "" {
		v.Module = "(devel)"
	}
	return v
}

// codecFeatures is the linked libopus and its neural loss-handling features (codec.Features).
func codecFeatures() string { return codec.Features().String() }

func cmdVersion(_ context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "version", "", "Print the version of this build: the module version, the commit it was built\n"+
		"from, the Go version and the codec's features. 'parley --version' is the same.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("version takes no arguments")
	}
	v := readBuildVersion()
	rev := "unknown (built without VCS information; 'make build' records it)"
	if v.Commit != "" {
		rev = v.Commit
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if v.Time != "" {
			rev += " (" + v.Time + ")"
		}
		if v.Dirty {
			rev += " +dirty"
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "parley %s\n", v.Module)
	fmt.Fprintf(&b, "  commit  %s\n", rev)
	fmt.Fprintf(&b, "  go      %s %s/%s\n", v.Go, runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "  codec   %s\n", codecFeatures())
	_, err := fmt.Fprint(env.Stdout, b.String())
	return err
}
