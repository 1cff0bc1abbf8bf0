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

# The UI bundle arrives with the command-centre issue; until then the server shows a
# plain page that says what to try.
ui:
	@true

run: ui build
	$(BIN) serve --addr $(ADDR) --data $(DATA) --mqtt $(MQTT) --demo

test:
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
