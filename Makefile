# Entry points: make run (start a local ZooKeeper + broker), make stop,
# make test (everything CI runs), make build, make bench.

SHELL := /bin/bash
# Go from the official tarball, even when the caller's PATH lacks it.
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go

.PHONY: all build run stop status test bench clean

all: build

build:
	$(GO) build -o build/kafka ./core/cmd/kafka

run:
	scripts/install-deps.sh run
	$(MAKE) --no-print-directory build
	scripts/run.sh start

stop:
	scripts/run.sh stop

status:
	scripts/run.sh status

test:
	scripts/install-deps.sh test
	$(MAKE) --no-print-directory build
	scripts/test.sh

bench:
	$(GO) test -run='^$$' -bench=. ./core/...

clean:
	rm -rf build
