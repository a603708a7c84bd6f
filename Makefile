# nba-mlops. `make run` and `make test` are the two commands; see README.md.
SHELL   := /bin/bash
MODULE  := github.com/nba-mlops/nba-mlops
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X $(MODULE)/internal/version.Version=$(VERSION)
BIN     := bin
DATA    ?= ./data
MODELS  ?= ./trained_models
SEED    ?= 42
ROWS    ?= 200000
# Set SOURCE to a Kaggle CSV to sample it instead of generating synthetic shots.
SOURCE  ?=

BINARIES := generate-data ingest process featurize train infer predictd apid

.PHONY: build run test lint bench fuzz soak pipeline golden clean help

help:
	@echo "make images    every image the compose files name, offline (stand-ins from Debian packages + deploy/Dockerfile)"
	@echo "make run       build, train a first model if there is none, start predictd and apid"
	@echo "make test      all tests; those needing PostgreSQL, the real sample or Chromium skip without them and are counted at the end"
	@echo "make pipeline  generate-data -> ingest -> process -> featurize -> train -> infer, chained by signal files"
	@echo "make build | lint | bench | fuzz | soak | golden | clean"

# missing lists the binaries named in $(1) that have no cmd/ directory yet.
missing = $(strip $(foreach b,$(1),$(if $(wildcard cmd/$(b)/main.go),,$(b))))

build:
	go build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...

# go test's own output, then how many tests were skipped, why, and how to run them.
test:
	@go build -o $(BIN)/testsummary ./scripts/testsummary
	@set -o pipefail; go test -race -count=1 -json ./... | $(BIN)/testsummary

lint:
	go vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt wants to change:"; echo "$$out"; exit 1; fi
	(cd tools && go tool actionlint -no-color -oneline ../.github/workflows/*.yml)

bench:
	go test -run='^$$' -bench=. -benchmem ./...
	$(MAKE) build
	bench/run.sh

FUZZTIME ?= 20s
# Each fuzz target with its package; go test runs one target per call.
FUZZ_TARGETS := FuzzParseShotRow:./internal/dataset FuzzDecodePredictRequest:./internal/predict \
	FuzzDecodeShotRequest:./internal/predict FuzzVerifyToken:./internal/auth FuzzDecode:./internal/model
FUZZ_TARGETS += FuzzFlatMatchesGeneral:./internal/httpjson FuzzParseV2Request:./cmd/predictd FuzzDecodeBodies:./cmd/apid
FUZZ_TARGETS += FuzzDecodeSignup:./cmd/apid FuzzLoginForm:./cmd/apid FuzzDecodeVerify:./cmd/apid
fuzz:
	@for t in $(FUZZ_TARGETS); do name=$${t%%:*}; pkg=$${t#*:}; echo "== $$name ($$pkg)"; \
	  go test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; done

# Not in CI: 10 minutes of mixed traffic against apid and predictd with a
# fault every minute, then a report (bench/soak). SOAK_FLAGS=--duration=2m etc.
soak: build
	go run ./bench/soak --bin $(BIN) $(SOAK_FLAGS)

golden:
	go test ./internal/features -update
	go test ./internal/model -update

pipeline: build
	@m="$(call missing,generate-data ingest process featurize train infer)"; if [ -n "$$m" ]; then \
	  echo "make pipeline: these stages are not built yet: $$m"; exit 1; fi
	@scripts/pipeline.sh "$(BIN)" "$(DATA)" "$(MODELS)" "$(SEED)" "$(ROWS)" "$(SOURCE)"

run: build
	@m="$(call missing,predictd apid)"; if [ -n "$$m" ]; then \
	  echo "make run: not built yet: $$m"; exit 1; fi
	@scripts/run.sh "$(BIN)" "$(DATA)" "$(MODELS)"

# Needs root (mmdebstrap) and a running engine: deploy/offline/engine.sh start.
.PHONY: images
images:
	deploy/offline/build-images.sh

clean:
	rm -rf $(BIN)
