# Parley: `make demo` runs the main job, `make test` runs vet and the whole test suite.
# Both install the Debian packages they need first (scripts/deps.sh).
GO       ?= go

# libopus 1.5.2 with Deep PLC, OSCE and DRED, built once by scripts/opus.sh (called from deps.sh)
# into a user cache and linked statically (the prefix holds only libopus.a). CGO_CFLAGS names the
# prefix too: Go's build cache keys on CGO_CFLAGS but not on PKG_CONFIG_PATH, so a codec package
# compiled earlier against the system libopus 1.3 is never reused here.
OPUS_PREFIX ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/parley/opus-1.5.2
export PARLEY_OPUS_PREFIX := $(OPUS_PREFIX)
export PKG_CONFIG_PATH := $(OPUS_PREFIX)/lib/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH))
export CGO_CFLAGS := $(or $(CGO_CFLAGS),-O2 -g) -I$(OPUS_PREFIX)/include/opus
# The commit 'parley version' names (Go's own VCS stamp is missing in some checkouts, e.g. git
# worktrees); empty outside git.
COMMIT   := $(shell git rev-parse HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo +dirty)

.PHONY: deps build test vet demo bench fuzz clean

deps:
	@./scripts/deps.sh

build: deps
	$(GO) build -ldflags "-X main.commit=$(COMMIT)" -o bin/parley ./cmd/parley

vet: deps
	$(GO) vet ./...

test: deps vet
	$(GO) test -race -timeout 15m ./...

demo: build
	./bin/parley demo

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin parley-demo
