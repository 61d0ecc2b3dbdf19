# lsctl — build, test and CI entry points. Targets that need containerd provision it first
# through integration/provision.sh (root; sudo is used when not root).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

GO ?= go
# CONTAINERD selects the daemon the integration tests run against: v2 (containerd 2.4,
# built from source) or debian (Debian's containerd 1.6).
CONTAINERD ?= v2
# CI_FLAVORS are the daemons `make ci` runs the integration suite against, in turn; the
# last one stays running, so v2, the default, comes last.
CI_FLAVORS ?= debian v2
# The soak (integration/soak_test.go) runs 10 cycles on containerd 2.x in CI and 3 on
# the other flavor, which keeps `make ci` within its time budget; `make soak` runs 100.
CI_SOAK_CYCLES ?= 10
CI_SOAK_CYCLES_OTHER ?= 3
FUZZTIME ?= 10s
PROVISION := integration/provision.sh
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# Packages whose tests need the test containerd; the ci target runs them once, serially.
INTEGRATION_PKGS := ./integration/... ./containerdrt/...
LOG_DIR := bin/test-logs
# with_test_env runs a command with the environment the integration tests read, and makes
# an unavailable containerd a failure instead of a skip.
with_test_env = eval "$$($(PROVISION) env)" && export LSCTL_INTEGRATION=1 &&

.PHONY: build test provision integration ci fuzz lint bench soak demo clean

# build makes lsctl and, beside it, the small log driver the shim runs per container.
build:
	$(GO) build -o bin/lsctl .
	$(GO) build -o bin/lsctl-log-driver ./containerdrt/logdriver/lsctl-log-driver

test:
	$(GO) test -race ./...

# PROVISION_ENV passes the variables that move provision.sh's daemon, cache and state
# through sudo, which would drop them.
PROVISION_ENV := $(strip $(foreach v,LSCTL_TEST_RUN_DIR LSCTL_TEST_LIB_DIR LSCTL_TEST_CACHE LSCTL_TEST_BIN_CACHE,\
	$(if $($(v)),$(v)=$($(v)))))

provision:
	$(SUDO) env $(PROVISION_ENV) $(PROVISION) all --containerd $(CONTAINERD)

# integration fails when any test in the integration packages skipped: in CI a skipped
# integration test is one that did not run. The full log stays in $(LOG_DIR), one per flavor.
# provision (re)starts the shared test daemon in the CONTAINERD flavor: with
# LSCTL_TEST_RUN_DIR/LSCTL_TEST_LIB_DIR set (as root), it is a second daemon instead.
integration: provision
	@mkdir -p $(LOG_DIR)
	$(with_test_env) $(GO) test -race -count=1 -p 1 -timeout 25m -v $(INTEGRATION_PKGS) \
		2>&1 | tee $(LOG_DIR)/integration-$(CONTAINERD).log
	@if grep -- '--- SKIP' $(LOG_DIR)/integration-$(CONTAINERD).log; then \
		echo "integration: the tests above skipped, which is a failure here (log: $(LOG_DIR)/integration-$(CONTAINERD).log)"; \
		exit 1; fi
	@echo "integration ($(CONTAINERD)): every test ran and passed"

# ci is the README's test command: provision, unit tests, then the integration tests
# against every containerd flavor of CI_FLAVORS (docs/spec/runtime.md §0: 1.6 and 2.x).
ci: provision
	$(GO) test -race $$($(GO) list ./... | grep -v -e /integration -e /containerdrt)
	@for flavor in $(CI_FLAVORS); do \
		cycles=$(CI_SOAK_CYCLES_OTHER); [ $$flavor = v2 ] && cycles=$(CI_SOAK_CYCLES); \
		SOAK_CYCLES=$$cycles $(MAKE) --no-print-directory integration CONTAINERD=$$flavor || exit 1; \
	done

# fuzz runs every fuzz target of every package for FUZZTIME each.
fuzz:
	@for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
		for target in $$($(GO) test -list '^Fuzz' $$dir | grep '^Fuzz'); do \
			echo "fuzz $$dir $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$dir; \
		done; \
	done

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt -w needed for:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags record ./integration/  # the metrics recorder, built only on demand

# bench runs the unit benchmarks, then against the test containerd the integration ones:
# the real-stack benchmark of docs/spec/runtime.md §19 prints its table (stack | floor up | lsctl up |
# ratio | target | lsctl down | peak RSS), medians of BENCH_RUNS runs (default 5) after
# one warm-up run, lsctl and the floor alternating; the footprint benchmark prints the
# memory of lsctl's processes (supervisor, log drivers) for 1, 10 and 50 running containers;
# the pgredis benchmark times up -d and down of postgres + redis (password) + an app.
# The idle benchmark prints the CPU of 20 resources probed every second natively (http, tcp) and by exec.
# The full log stays in $(LOG_DIR).
bench: provision build
	$(GO) test -bench . -benchmem -run '^$$' $$($(GO) list ./... | grep -v -e /integration -e /containerdrt)
	@mkdir -p $(LOG_DIR)
	$(with_test_env) export LSCTL_TEST_BINARY=$(CURDIR)/bin/lsctl LSCTL_LOG_DRIVER=$(CURDIR)/bin/lsctl-log-driver && \
		$(GO) test -v -run '^$$' -bench . -skip BenchmarkIdleProbeCPU -benchtime $${BENCH_RUNS:-5}x -timeout 40m -p 1 \
		./integration/ 2>&1 | tee $(LOG_DIR)/bench.log
	@# The idle benchmark measures one window per row whatever b.N is: run it once.
	$(with_test_env) export LSCTL_TEST_BINARY=$(CURDIR)/bin/lsctl LSCTL_LOG_DRIVER=$(CURDIR)/bin/lsctl-log-driver && \
		$(GO) test -v -run '^$$' -bench BenchmarkIdleProbeCPU -benchtime 1x -timeout 20m ./integration/ 2>&1 | tee -a $(LOG_DIR)/bench.log
	@echo; sed -n -e '/real-stack benchmark/,/^[^ ]/{/^[^ ]/d;s/^        //;p}' \
		-e '/footprint benchmark/,/^[^ ]/{/^[^ ]/d;s/^        //;p}' \
		-e '/idle-stack CPU benchmark/,/^[^ ]/{/^[^ ]/d;s/^        //;p}' $(LOG_DIR)/bench.log
	@grep 'pgredis benchmark' $(LOG_DIR)/bench.log | tail -n 1 | sed 's/^ *[a-z_]*\.go:[0-9]*: //'

# soak runs integration/soak_test.go's TestSoak (issue 11 item 6) for SOAK_CYCLES cycles
# (the suite runs 10): up -d/down of a postgres, redis and busybox stack, with lsctl killed
# at random points of up, down and the background supervisor, an audit of containerd and
# the host after every phase, and a table at the end. SOAK_SEED replays the kill points.
# The full log stays in $(LOG_DIR)/soak.log; the table is printed again at the end.
SOAK_CYCLES ?= 100
soak: provision build
	@mkdir -p $(LOG_DIR)
	@rc=0; $(with_test_env) export LSCTL_TEST_BINARY=$(CURDIR)/bin/lsctl LSCTL_LOG_DRIVER=$(CURDIR)/bin/lsctl-log-driver \
		SOAK_CYCLES=$(SOAK_CYCLES) && \
		$(GO) test -v -count=1 -run '^TestSoak$$' -timeout 6h -p 1 ./integration/ 2>&1 \
		| tee $(LOG_DIR)/soak.log || rc=$$?; \
		echo; sed -n '/soak table:/,/soak: end of table/{s/^        //;p}' $(LOG_DIR)/soak.log; exit $$rc

# demo runs examples/demo (postgres, redis and an app that queries both) in the foreground
# on the test containerd, in lsctl's default namespace and data root: it loads the offline
# images through lsctl itself, then runs `lsctl up`; Ctrl-C tears the stack down. Meanwhile
# another terminal reaches it with `bin/lsctl --address /run/lsctl-test/containerd.sock ps`.
DEMO_IMAGES := postgres redis demo-app
demo: provision build
	eval "$$($(PROVISION) env)" && \
	for image in $(DEMO_IMAGES); do \
		$(SUDO) bin/lsctl --address "$$LSCTL_TEST_CONTAINERD_ADDRESS" \
			images load "$$LSCTL_TEST_IMAGES/$$image.tar" || exit 1; \
	done && \
	exec $(SUDO) env CNI_PATH="$$CNI_PATH" \
		bin/lsctl --address "$$LSCTL_TEST_CONTAINERD_ADDRESS" -f examples/demo/lightshuttle.yml up

clean:
	rm -rf bin
