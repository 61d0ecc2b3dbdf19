#!/usr/bin/env bash
# provision.sh prepares a Debian 12 host (as root) for lsctl's integration tests:
# packages, a private containerd, and the locally built test images.
# It is idempotent: every step checks before it acts. The Makefile, .ci/run and the
# Vagrantfile all call this one script.
#
# Usage: provision.sh [all|install|buildkit|images|start [--containerd v2|debian]|start-containerd [--containerd v2|debian]|stop|status|env|selftest]
# (buildkitd for the dockerfile tests is built by `install` and started by `start`: buildkit.sh;
# `start-containerd` starts the daemon alone, as the tests that restart a second daemon do)
set -euo pipefail

readonly CONTAINERD_VERSION=v2.4.2
readonly CACHE_DIR=${LSCTL_TEST_CACHE:-/var/cache/lsctl-test}
readonly BIN_CACHE=${LSCTL_TEST_BIN_CACHE:-$CACHE_DIR/bin}
# LSCTL_TEST_RUN_DIR and LSCTL_TEST_LIB_DIR let a second, independent daemon run beside the
# default one (the socket is $LSCTL_TEST_RUN_DIR/containerd.sock).
readonly DEFAULT_STATE_DIR=/run/lsctl-test
readonly STATE_DIR=${LSCTL_TEST_RUN_DIR:-$DEFAULT_STATE_DIR}
readonly LIB_DIR=${LSCTL_TEST_LIB_DIR:-/var/lib/lsctl-test}
readonly SOCKET=$STATE_DIR/containerd.sock
readonly PID_FILE=$STATE_DIR/containerd.pid
readonly FLAVOR_FILE=$STATE_DIR/containerd.flavor
readonly LOG_FILE=$LIB_DIR/containerd.log
readonly CNI_DIR=/usr/lib/cni
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
# systemd only for systemd-analyze, which checks the units of `lsctl service` (nothing here
# boots with it).
# chromium and a font drive the dashboard tests in a real browser (docs/spec/runtime.md §17 item 98).
readonly PACKAGES=(containerd runc containernetworking-plugins iptables busybox-static
	debootstrap docker-registry iproute2 jq kmod procps ca-certificates systemd
	chromium fonts-dejavu-core)

log() { printf 'provision: %s\n' "$*" >&2; }
die() {
	printf 'provision: error: %s\n' "$*" >&2
	exit 1
}

require_root() {
	[ "$(id -u)" = 0 ] || die "must run as root (containerd, mounts and CNI need it); try: sudo $0"
}

# find_go puts a Go toolchain on PATH; /usr/local/go is where the official tarball lands.
find_go() {
	command -v go >/dev/null 2>&1 && return 0
	[ -x /usr/local/go/bin/go ] && export PATH=/usr/local/go/bin:$PATH && return 0
	die "Go is not installed: install the Go version named in go.mod (see integration/README.md)"
}

# install_packages installs the Debian packages; apt-get update runs only when one is missing.
install_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		log "packages already installed"
		return 0
	fi
	log "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# containerd_v2_dir is where the containerd v2 binaries are cached, per version.
containerd_v2_dir() { echo "$BIN_CACHE/containerd-$CONTAINERD_VERSION"; }

# build_containerd_v2 builds containerd and its runc shim from the Go module proxy, once.
build_containerd_v2() {
	local dir
	dir=$(containerd_v2_dir)
	if [ -x "$dir/containerd" ] && [ -x "$dir/containerd-shim-runc-v2" ]; then
		log "containerd $CONTAINERD_VERSION already built in $dir"
		return 0
	fi
	find_go
	mkdir -p "$dir"
	log "building containerd $CONTAINERD_VERSION into $dir (about 2 minutes)"
	# Run outside the repository so that its go.mod does not constrain the install.
	(cd / && GOBIN=$dir GOFLAGS="" go install \
		"github.com/containerd/containerd/v2/cmd/containerd@$CONTAINERD_VERSION" \
		"github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION")
}

# buildkit runs buildkit.sh for this daemon: same run and lib directories, same cache, and
# this socket, whatever a caller's environment points at.
buildkit() {
	LSCTL_TEST_CONTAINERD_ADDRESS=$SOCKET LSCTL_TEST_RUN_DIR=$STATE_DIR LSCTL_TEST_LIB_DIR=$LIB_DIR \
		LSCTL_TEST_CACHE=$CACHE_DIR LSCTL_TEST_BIN_CACHE=$BIN_CACHE "$HERE/buildkit.sh" "$@"
}

# timed runs a step and logs its wall-clock duration (the CI time budget is read from these).
timed() {
	local name=$1 start=$SECONDS
	shift
	"$@"
	log "step $name took $((SECONDS - start)) s"
}

cmd_install() {
	require_root
	timed apt install_packages
	timed containerd-build build_containerd_v2
	timed buildkit-build buildkit install
}

# cmd_all is install, start and images, with the buildkit build overlapping the image build:
# debootstrap mostly waits on the mirror and dpkg, the Go build mostly on the CPU.
cmd_all() {
	local bk_log bk_pid
	require_root
	timed apt install_packages
	timed containerd-build build_containerd_v2
	# containerd first: other work waits on its socket, not on the images.
	timed containerd-start start_containerd "$@"
	bk_log=$(mktemp)
	buildkit install >"$bk_log" 2>&1 &
	bk_pid=$!
	timed images cmd_images
	if ! wait "$bk_pid"; then
		cat "$bk_log" >&2
		rm -f "$bk_log"
		die "building buildkit failed (output above)"
	fi
	cat "$bk_log" >&2
	rm -f "$bk_log"
	timed buildkitd-start buildkit start
}

# flavor_paths sets BIN, ROOT, STATE and CONFIG for a containerd flavor. Each flavor keeps its
# own root: containerd 1.6 must not open a metadata database that 2.x has migrated.
flavor_paths() {
	case $1 in
	v2)
		BIN=$(containerd_v2_dir)
		ROOT=$LIB_DIR/containerd
		STATE=$STATE_DIR/containerd
		;;
	debian)
		BIN=/usr/bin
		ROOT=$LIB_DIR/containerd-debian
		STATE=$STATE_DIR/containerd-debian
		;;
	*) die "unknown containerd flavor '$1': use v2 or debian" ;;
	esac
	CONFIG=$LIB_DIR/containerd-$1.toml
}

# write_config writes the daemon config. containerd 2.4 reads config version 4, where the
# socket addresses live in server plugins; 1.6 reads version 2. Imports are emptied and the
# opt plugin path moved so that the private daemon never reads or touches the host's
# /etc/containerd or /opt/containerd. The ttrpc address (where shims post their events) is
# explicit: 2.4 reads it from its own server plugin and otherwise takes the host default
# /run/containerd/containerd.sock.ttrpc, which a second daemon would then unlink and take over.
write_config() {
	mkdir -p "$LIB_DIR" "$ROOT" "$STATE_DIR"
	if [ "$1" = debian ]; then
		cat >"$CONFIG" <<-EOF
			# Written by integration/provision.sh: the private containerd 1.6 for lsctl's tests.
			version = 2
			root = "$ROOT"
			state = "$STATE"
			imports = []
			disabled_plugins = ["io.containerd.grpc.v1.cri"]

			[grpc]
			  address = "$SOCKET"

			[ttrpc]
			  address = "$SOCKET.ttrpc"

			[plugins."io.containerd.internal.v1.opt"]
			  path = "$LIB_DIR/opt-debian"
		EOF
		return 0
	fi
	cat >"$CONFIG" <<-EOF
		# Written by integration/provision.sh: the private containerd 2.x for lsctl's tests.
		version = 4
		root = "$ROOT"
		state = "$STATE"
		imports = []
		disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime"]

		[plugins."io.containerd.server.v1.grpc"]
		  address = "$SOCKET"

		[plugins."io.containerd.server.v1.ttrpc"]
		  address = "$SOCKET.ttrpc"

		[plugins."io.containerd.internal.v1.opt"]
		  path = "$LIB_DIR/opt-v2"
	EOF
}

# kernel_prereqs loads what CNI bridge and portmap need; best effort, as in a container
# or a VM without modules these may already be set or impossible to set.
kernel_prereqs() {
	# A kernel with br_netfilter built in has /proc/sys/net/bridge and no module to load.
	[ -d /proc/sys/net/bridge ] || modprobe br_netfilter 2>/dev/null ||
		log "note: modprobe br_netfilter failed (continuing)"
	modprobe overlay 2>/dev/null || true
	sysctl -qw net.ipv4.ip_forward=1 2>/dev/null || log "note: could not set net.ipv4.ip_forward=1"
}

# running_pid prints the pid of the private containerd when it is alive. A daemon that
# was killed stays a zombie until init reaps it, and kill -0 still succeeds on it.
running_pid() {
	local pid
	pid=$(cat "$PID_FILE" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	[ "$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)" != Z ] && echo "$pid"
}

# wait_ready waits until the daemon answers on its socket, or it dies, or 60 s pass.
# Each probe is bounded: ctr itself would wait long for a socket that does not exist yet.
wait_ready() {
	local pid=$1 deadline=$((SECONDS + 60))
	while [ $SECONDS -lt $deadline ]; do
		if [ -S "$SOCKET" ] && timeout 5 ctr --address "$SOCKET" version >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || startup_failed "containerd exited during startup"
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	startup_failed "containerd did not answer on $SOCKET within 60 s"
}

# startup_failed forgets a daemon that never became ready and shows why.
startup_failed() {
	rm -f "$PID_FILE" "$FLAVOR_FILE"
	tail -n 15 "$LOG_FILE" >&2 || true
	die "$1; full log: $LOG_FILE"
}

# cmd_start starts the private containerd, then buildkitd on it.
cmd_start() {
	start_containerd "$@"
	buildkit start
}

# start_containerd starts the private containerd unless the requested flavor already runs.
start_containerd() {
	local flavor=${CONTAINERD:-v2} pid
	while [ $# -gt 0 ]; do
		case $1 in
		--containerd) flavor=${2:?--containerd needs v2 or debian} && shift 2 ;;
		--containerd=*) flavor=${1#*=} && shift ;;
		*) die "start: unknown argument '$1'" ;;
		esac
	done
	require_root
	flavor_paths "$flavor" # validates the name before anything is stopped
	if pid=$(running_pid); then
		if [ "$(cat "$FLAVOR_FILE" 2>/dev/null)" = "$flavor" ]; then
			log "containerd ($flavor) already running, pid $pid, socket $SOCKET"
			return 0
		fi
		log "switching containerd flavor to $flavor"
		cmd_stop
		flavor_paths "$flavor" # cmd_stop set the paths of the old flavor
	fi
	[ -x "$BIN/containerd" ] || die "$BIN/containerd is missing; run: $0 install"
	kernel_prereqs
	write_config "$flavor"
	rm -f "$SOCKET" "$SOCKET.ttrpc"
	log "starting containerd ($flavor) from $BIN, log $LOG_FILE"
	# setsid: the daemon must outlive the shell (and process group) that started it. The shim
	# of the same version comes first on PATH; runc comes from Debian.
	PATH=$BIN:/usr/sbin:/usr/bin:/sbin:/bin setsid "$BIN/containerd" --config "$CONFIG" \
		</dev/null >>"$LOG_FILE" 2>&1 &
	pid=$!
	echo "$pid" >"$PID_FILE"
	echo "$flavor" >"$FLAVOR_FILE"
	wait_ready "$pid"
	log "containerd ($flavor) ready: pid $pid, socket $SOCKET"
	# A second daemon (a test's own, which it may start and restart) leaves bridges
	# alone: they may belong to tests running meanwhile on the default daemon, between
	# two of their containers.
	[ "${KEEP_BRIDGES:-0}" = 1 ] || [ "$STATE_DIR" != "$DEFAULT_STATE_DIR" ] || remove_stale_bridges
}

# remove_stale_bridges deletes lsh-* bridges that an interrupted test run left behind. lsctl
# never deletes a bridge it holds no record of (docs/spec/runtime.md §5.1), so such a leftover would
# make the next run of that test project fail. A bridge with a port attached still serves a
# container (of this daemon or of a second one beside it), and one recorded under lsctl's
# default data root belongs to a stack a developer runs (such as the demo): both are kept.
remove_stale_bridges() {
	local br
	for br in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '$2 ~ /^lsh-/ {sub(/@.*/, "", $2); print $2}'); do
		[ -z "$(ls -A "/sys/class/net/$br/brif" 2>/dev/null)" ] || continue
		grep -qs "\"$br\"" /var/lib/lsctl/networks/*.json && continue
		ip link delete "$br" type bridge && log "removed bridge $br left by an earlier test run"
	done
}

# stop_tasks kills and deletes every task the daemon knows, so that no shim stays behind.
stop_tasks() {
	local ns t c
	for ns in $(ctr --address "$SOCKET" namespaces list -q 2>/dev/null); do
		for t in $(ctr --address "$SOCKET" -n "$ns" tasks list -q 2>/dev/null); do
			ctr --address "$SOCKET" -n "$ns" tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
			ctr --address "$SOCKET" -n "$ns" tasks delete -f "$t" >/dev/null 2>&1 || true
		done
		for c in $(ctr --address "$SOCKET" -n "$ns" containers list -q 2>/dev/null); do
			ctr --address "$SOCKET" -n "$ns" containers delete "$c" >/dev/null 2>&1 || true
		done
	done
}

# unmount_under lazily unmounts everything mounted below a directory, deepest first.
unmount_under() {
	local dir=$1
	awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

cmd_stop() {
	require_root
	local pid flavor
	# buildkitd first: it holds leases and mounts of the daemon.
	buildkit stop
	flavor=$(cat "$FLAVOR_FILE" 2>/dev/null || echo v2)
	if ! pid=$(running_pid); then
		log "containerd is not running"
	else
		stop_tasks
		kill -TERM "$pid"
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
		log "containerd ($flavor) stopped"
	fi
	flavor_paths "$flavor"
	unmount_under "$STATE"
	unmount_under "$ROOT"
	rm -f "$PID_FILE" "$FLAVOR_FILE" "$SOCKET" "$SOCKET.ttrpc"
}

cmd_status() {
	local pid
	if pid=$(running_pid); then
		echo "containerd ($(cat "$FLAVOR_FILE")) running: pid $pid, socket $SOCKET"
		ctr --address "$SOCKET" version
		if buildkit status; then
			echo "buildkitd answers on $STATE_DIR/buildkitd.sock"
		else
			echo "buildkitd does not answer on $STATE_DIR/buildkitd.sock"
		fi
	else
		echo "containerd not running"
		return 1
	fi
}

cmd_images() {
	require_root
	"$HERE/images/build.sh"
}

# cmd_selftest runs every image on the running daemon (images/selftest.sh).
cmd_selftest() {
	require_root
	running_pid >/dev/null || die "containerd is not running; run: $0 start"
	"$HERE/images/selftest.sh" "$("$HERE/images/build.sh" --print-dir)" "$SOCKET"
}

cmd_env() {
	local flavor
	flavor=$(cat "$FLAVOR_FILE" 2>/dev/null || echo "${CONTAINERD:-v2}")
	echo "export LSCTL_TEST_CONTAINERD_ADDRESS=$SOCKET"
	echo "export CNI_PATH=$CNI_DIR"
	echo "export LSCTL_TEST_IMAGES=$("$HERE/images/build.sh" --print-dir)"
	echo "export LSCTL_TEST_CONTAINERD_FLAVOR=$flavor"
	# The build tests start buildkitd through buildkit.sh, which reads these two.
	echo "export LSCTL_TEST_RUN_DIR=$STATE_DIR"
	echo "export LSCTL_TEST_LIB_DIR=$LIB_DIR"
	echo "export LSCTL_TEST_BUILDKIT_ADDRESS=unix://$STATE_DIR/buildkitd.sock"
}

usage() {
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}

main() {
	local cmd=${1:-all}
	[ $# -gt 0 ] && shift
	case $cmd in
	all) cmd_all "$@" ;;
	install) cmd_install ;;
	buildkit) require_root && buildkit install ;;
	images) cmd_images ;;
	start) cmd_start "$@" ;;
	start-containerd) KEEP_BRIDGES=1 start_containerd "$@" ;;
	stop) cmd_stop ;;
	status) cmd_status ;;
	env) cmd_env ;;
	selftest) cmd_selftest ;;
	-h | --help | help) usage ;;
	*)
		usage >&2
		die "unknown subcommand '$cmd'"
		;;
	esac
}

main "$@"
