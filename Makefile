# lsctl — build, test and CI entry points. Targets that need containerd provision it first
# through integration/provision.sh (root; sudo is used when not root).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

GO ?= go
# CONTAINERD selects the daemon the integration tests run against: v2 (containerd 2.4,
# built from source) or debian (Debian's containerd 1.6).
CONTAINERD ?= v2
FUZZTIME ?= 10s
PROVISION := integration/provision.sh
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# Packages whose tests need the test containerd; the ci target runs them once, serially.
INTEGRATION_PKGS := ./integration/... ./containerdrt/...
LOG_DIR := bin/test-logs
# with_test_env runs a command with the environment the integration tests read, and makes
# an unavailable containerd a failure instead of a skip.
with_test_env = eval "$$($(PROVISION) env)" && export LSCTL_INTEGRATION=1 &&

.PHONY: build test provision integration ci fuzz lint bench demo clean

build:
	$(GO) build -o bin/lsctl .

test:
	$(GO) test -race ./...

provision:
	$(SUDO) $(PROVISION) all --containerd $(CONTAINERD)

# integration fails when any test in the integration packages skipped: in CI a skipped
# integration test is one that did not run. The full log stays in $(LOG_DIR).
integration: provision
	@mkdir -p $(LOG_DIR)
	$(with_test_env) $(GO) test -race -count=1 -p 1 -timeout 25m -v $(INTEGRATION_PKGS) \
		2>&1 | tee $(LOG_DIR)/integration.log
	@if grep -- '--- SKIP' $(LOG_DIR)/integration.log; then \
		echo "integration: the tests above skipped, which is a failure here (log: $(LOG_DIR)/integration.log)"; \
		exit 1; fi
	@echo "integration: every test ran and passed"

# ci is the README's test command: provision, unit tests, then the integration tests.
ci: provision
	$(GO) test -race $$($(GO) list ./... | grep -v -e /integration -e /containerdrt)
	$(MAKE) integration

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

# bench runs the unit benchmarks and, against the test containerd, the real-stack ones.
bench: provision
	$(with_test_env) $(GO) test -bench . -benchmem -run '^$$' -p 1 ./...

# demo runs the example stack on the test containerd (the demo images are loaded by the
# example's own setup once it exists).
demo: provision build
	eval "$$($(PROVISION) env)" && $(SUDO) env CONTAINERD_ADDRESS="$$LSCTL_TEST_CONTAINERD_ADDRESS" \
		CNI_PATH="$$CNI_PATH" bin/lsctl -f examples/demo/lightshuttle.yml up

clean:
	rm -rf bin
