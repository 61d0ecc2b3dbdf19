#!/usr/bin/env bash
# buildkit.sh builds BuildKit's buildkitd and buildctl at a pinned version and runs buildkitd
# with a containerd worker against the private test containerd, for the dockerfile-kind
# integration tests (docs/spec/runtime.md §9.7). provision.sh calls it; the build tests call it too
# when buildkitd does not answer.
#
# Usage: buildkit.sh [install|built|start [NAMESPACE]|stop|status|env]
#   install  build buildkitd + buildctl once into the cache (about 3 minutes the first time)
#   built    exit 0 when both binaries are in the cache
#   start    install, then start buildkitd (a no-op when it already answers for this flavor)
#   stop     stop the buildkitd this script started
#   status   exit 0 when buildkitd answers on its socket
#   env      print `export BUILDKIT_HOST=...` for the tests
set -euo pipefail

readonly BUILDKIT_VERSION=v0.34.2
readonly CACHE_DIR=${LSCTL_TEST_CACHE:-/var/cache/lsctl-test}
# Beside containerd's binaries (provision.sh), one directory per version.
readonly BUILDKIT_DIR=${LSCTL_TEST_BIN_CACHE:-$CACHE_DIR/bin}/buildkit-$BUILDKIT_VERSION
# Where earlier versions of this script built; reused rather than rebuilt.
readonly LEGACY_DIR=$CACHE_DIR/buildkit-$BUILDKIT_VERSION
# LSCTL_TEST_RUN_DIR and LSCTL_TEST_LIB_DIR are provision.sh's: a second containerd in its
# own run directory gets its own buildkitd, socket and root.
readonly RUN_DIR=${LSCTL_TEST_RUN_DIR:-/run/lsctl-test}
readonly LIB_DIR=${LSCTL_TEST_LIB_DIR:-/var/lib/lsctl-test}
readonly CONTAINERD_SOCKET=${LSCTL_TEST_CONTAINERD_ADDRESS:-$RUN_DIR/containerd.sock}
readonly SOCKET=$RUN_DIR/buildkitd.sock
readonly PID_FILE=$RUN_DIR/buildkitd.pid
readonly FLAVOR_FILE=$RUN_DIR/buildkitd.flavor
# The containerd flavor (v2|debian) provision.sh started; each has its own buildkit root,
# since buildkit's cache records snapshots of one daemon only.
readonly CONTAINERD_FLAVOR_FILE=$RUN_DIR/containerd.flavor
readonly LOG_FILE=$LIB_DIR/buildkitd.log
readonly DEFAULT_NAMESPACE=lsctl-it-build

log() { printf 'buildkit: %s\n' "$*" >&2; }
die() {
	printf 'buildkit: error: %s\n' "$*" >&2
	exit 1
}

require_root() {
	[ "$(id -u)" = 0 ] || die "must run as root (buildkitd mounts snapshots); try: sudo $0"
}

# find_go puts a Go toolchain on PATH; /usr/local/go is where the official tarball lands.
find_go() {
	command -v go >/dev/null 2>&1 && return 0
	[ -x /usr/local/go/bin/go ] && export PATH=/usr/local/go/bin:$PATH && return 0
	die "Go is not installed: install the Go version named in go.mod"
}

# bin_dir prints the directory that holds both binaries, or fails.
bin_dir() {
	local d
	for d in "$BUILDKIT_DIR" "$LEGACY_DIR"; do
		if [ -x "$d/buildkitd" ] && [ -x "$d/buildctl" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

# cmd_install builds both binaries from a throw-away tools module: `go install
# .../buildkitd@version` is refused because buildkit's go.mod has exclude directives.
cmd_install() {
	local mod
	if bin_dir >/dev/null; then
		log "buildkit $BUILDKIT_VERSION already built in $(bin_dir)"
		return 0
	fi
	find_go
	mod=$(mktemp -d)
	# shellcheck disable=SC2064 # expand now: mod is local
	trap "rm -rf '$mod'" EXIT
	mkdir -p "$BUILDKIT_DIR"
	cat >"$mod/go.mod" <<-EOT
		module lsctl.test/buildkit-tools

		go 1.26

		require github.com/moby/buildkit $BUILDKIT_VERSION
	EOT
	cat >"$mod/tools.go" <<-'EOT'
		//go:build tools

		package tools

		import (
			_ "github.com/moby/buildkit/cmd/buildctl"
			_ "github.com/moby/buildkit/cmd/buildkitd"
		)
	EOT
	log "building buildkit $BUILDKIT_VERSION into $BUILDKIT_DIR (about 3 minutes)"
	# A partial build must not look complete: build into the module dir, then move.
	(cd "$mod" && GOFLAGS='' go mod tidy && GOFLAGS='' go build -o "$mod/out/" \
		github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl)
	mv "$mod/out/buildkitd" "$mod/out/buildctl" "$BUILDKIT_DIR/"
}

# running_pid prints the pid of the buildkitd this script started when it is alive.
running_pid() {
	local pid
	pid=$(cat "$PID_FILE" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# answers reports whether buildkitd serves its socket (bounded: buildctl waits long otherwise).
answers() {
	local dir
	dir=$(bin_dir) || return 1
	[ -S "$SOCKET" ] && timeout 5 "$dir/buildctl" --addr "unix://$SOCKET" debug workers >/dev/null 2>&1
}

cmd_start() {
	local ns=${1:-$DEFAULT_NAMESPACE} dir pid flavor root
	require_root
	flavor=$(cat "$CONTAINERD_FLAVOR_FILE" 2>/dev/null || echo v2)
	if running_pid >/dev/null; then
		if answers && [ "$(cat "$FLAVOR_FILE" 2>/dev/null)" = "$flavor:$ns" ]; then
			log "buildkitd already running on $SOCKET"
			return 0
		fi
		# A daemon of another flavor or namespace, or one that hangs: never leave it behind.
		log "restarting buildkitd (containerd flavor or namespace changed, or it does not answer)"
		cmd_stop
	fi
	[ -S "$CONTAINERD_SOCKET" ] || die "no containerd at $CONTAINERD_SOCKET: run integration/provision.sh start first"
	cmd_install
	dir=$(bin_dir)
	root=$LIB_DIR/buildkit-$flavor
	mkdir -p "$RUN_DIR" "$root"
	rm -f "$SOCKET"
	log "starting buildkitd (containerd $flavor worker, namespace $ns) on $SOCKET, log $LOG_FILE"
	# setsid: the daemon must outlive this script and the shell that ran it.
	setsid "$dir/buildkitd" --oci-worker=false --containerd-worker=true \
		--containerd-worker-addr="$CONTAINERD_SOCKET" --containerd-worker-namespace="$ns" \
		--root "$root" --addr "unix://$SOCKET" </dev/null >>"$LOG_FILE" 2>&1 &
	pid=$!
	echo "$pid" >"$PID_FILE"
	echo "$flavor:$ns" >"$FLAVOR_FILE"
	wait_ready "$pid"
	log "buildkitd ready: pid $pid, socket $SOCKET"
}

# wait_ready waits until buildkitd answers, or it dies, or 60 s pass.
wait_ready() {
	local pid=$1 deadline=$((SECONDS + 60))
	while [ $SECONDS -lt $deadline ]; do
		answers && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			rm -f "$PID_FILE" "$FLAVOR_FILE"
			tail -n 20 "$LOG_FILE" >&2
			die "buildkitd exited during startup; full log: $LOG_FILE"
		fi
		sleep 0.2
	done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$PID_FILE" "$FLAVOR_FILE"
	tail -n 20 "$LOG_FILE" >&2
	die "buildkitd did not answer on $SOCKET within 60 s; full log: $LOG_FILE"
}

cmd_stop() {
	local pid
	pid=$(running_pid) || {
		log "buildkitd is not running"
		rm -f "$PID_FILE" "$FLAVOR_FILE"
		return 0
	}
	kill "$pid"
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	rm -f "$PID_FILE" "$SOCKET" "$FLAVOR_FILE"
	log "buildkitd stopped"
}

main() {
	local cmd=${1:-start}
	[ $# -gt 0 ] && shift
	case $cmd in
	install) cmd_install ;;
	built) bin_dir >/dev/null ;;
	start) cmd_start "$@" ;;
	stop) cmd_stop ;;
	status) answers ;;
	env) echo "export BUILDKIT_HOST=unix://$SOCKET" ;;
	-h | --help | help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' ;;
	*) die "unknown subcommand '$cmd'" ;;
	esac
}

main "$@"
