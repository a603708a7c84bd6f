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

.PHONY: build run test lint bench fuzz pipeline golden clean help

help:
	@echo "make images    every image the compose files name, offline (stand-ins from Debian packages + deploy/Dockerfile)"
	@echo "make run       build, train a first model if there is none, start predictd and apid"
	@echo "make test      all tests (set TEST_DATABASE_URL and NBA_REQUIRE_INTEGRATION=1 for the full set; .ci/run does)"
	@echo "make pipeline  generate-data -> ingest -> process -> featurize -> train -> infer, chained by signal files"
	@echo "make build | lint | bench | fuzz | golden | clean"

# missing lists the binaries named in $(1) that have no cmd/ directory yet.
missing = $(strip $(foreach b,$(1),$(if $(wildcard cmd/$(b)/main.go),,$(b))))

build:
	go build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...

test:
	go test -race -count=1 ./...

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
fuzz:
	@for t in $(FUZZ_TARGETS); do name=$${t%%:*}; pkg=$${t#*:}; echo "== $$name ($$pkg)"; \
	  go test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; done

golden:
	go test ./internal/features -update
	go test ./internal/model -update

pipeline: build
	@m="$(call missing,generate-data ingest process featurize train infer)"; if [ -n "$$m" ]; then \
	  echo "make pipeline: these stages are not built yet: $$m (issue 3)"; exit 1; fi
	@scripts/pipeline.sh "$(BIN)" "$(DATA)" "$(MODELS)" "$(SEED)" "$(ROWS)" "$(SOURCE)"

run: build
	@m="$(call missing,predictd apid)"; if [ -n "$$m" ]; then \
	  echo "make run: not built yet: $$m (issues 4 and 5)"; exit 1; fi
	@scripts/run.sh "$(BIN)" "$(DATA)" "$(MODELS)"

# Needs root (mmdebstrap) and a running engine: deploy/offline/engine.sh start.
.PHONY: images
images:
	deploy/offline/build-images.sh

clean:
	rm -rf $(BIN)
