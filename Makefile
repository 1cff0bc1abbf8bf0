# citytwin — the front door. `make run` and `make test` are all a new user needs.
GO      ?= go
BIN     := bin/citytwin
ADDR    ?= 127.0.0.1:8080
DATA    ?= ./citytwin-data
MQTT    ?= 127.0.0.1:1883
PKGS    := ./...
# Tests that start servers and generate cities take a while on two cores.
TESTFLAGS ?= -race -timeout 30m

.PHONY: all build run test bench lint fmt fuzz clean ui

all: build

build:
	$(GO) build -o $(BIN) ./cmd/citytwin

# The command centre (web/ui): npm installs the locked packages when package.json or
# package-lock.json is newer than node_modules, then esbuild bundles the app into
# web/ui/dist, which the binary embeds. Needs Node.js 20+ and npm.
UI := web/ui
ui: $(UI)/node_modules/.package-lock.json
	cd $(UI) && node build.mjs

$(UI)/node_modules/.package-lock.json: $(UI)/package.json $(UI)/package-lock.json
	cd $(UI) && npm ci --no-audit --no-fund

run: ui build
	$(BIN) serve --addr $(ADDR) --data $(DATA) --mqtt $(MQTT) --demo

test: ui
	$(GO) vet $(PKGS)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) test $(TESTFLAGS) $(PKGS)

# Micro-benchmarks of every package, then the metropolis figures of docs/benchmarks.md.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
	$(BIN) bench
	$(BIN) bench ingest

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

# Runs each fuzz target for FUZZTIME (go test allows one target per run).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin
