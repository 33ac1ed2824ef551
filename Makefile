# Entry points: make run (start a local ZooKeeper + broker), make stop,
# make test (everything CI runs), make build, make bench.
# make cluster / make cluster-stop / make cluster-status: ZooKeeper plus the
# course's three nodes on 127.0.0.1-3 (scripts/local-cluster.sh);
# make run NODES=3 / make stop NODES=3 do the same.

SHELL := /bin/bash
# Go from the official tarball, even when the caller's PATH lacks it.
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
# NODES=3 makes run/stop/status use the three-node local cluster.
ifeq ($(NODES),3)
RUN_SCRIPT := scripts/local-cluster.sh
else
RUN_SCRIPT := scripts/run.sh
endif

.PHONY: all build run stop status test bench clean cluster cluster-stop cluster-status

all: build

build:
	$(GO) build -o build/kafka ./core/cmd/kafka

run:
	scripts/install-deps.sh run
	$(MAKE) --no-print-directory build
	$(RUN_SCRIPT) start

stop:
	$(RUN_SCRIPT) stop

status:
	$(RUN_SCRIPT) status

test:
	scripts/install-deps.sh test
	$(MAKE) --no-print-directory build
	scripts/test.sh

bench:
	$(GO) test -run='^$$' -bench=. ./core/...

cluster:
	scripts/install-deps.sh run
	$(MAKE) --no-print-directory build
	scripts/local-cluster.sh start

cluster-stop:
	scripts/local-cluster.sh stop

cluster-status:
	scripts/local-cluster.sh status

clean:
	rm -rf build
