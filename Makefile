# Parley: `make demo` runs the main job, `make test` runs vet and the whole test suite.
# Both install the Debian packages they need first (scripts/deps.sh).
GO       ?= go
TAGS     := nolibopusfile
GOFLAGS  += -tags=$(TAGS)
export GOFLAGS
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
