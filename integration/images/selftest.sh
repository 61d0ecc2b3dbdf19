#!/usr/bin/env bash
# selftest.sh proves the built test images on the test containerd: every archive imports,
# busybox and app run, postgres initialises (POSTGRES_* and PGPORT honoured, password
# required over TCP, server not running as root, stops on SIGINT) and redis answers PING
# with a password. Servers use the host network on loopback only, on unusual ports.
# `ctr run IMAGE ID ARGS` replaces the entrypoint too, so ARGS name it explicitly.
#
# Usage: selftest.sh IMAGES_DIR [SOCKET]
set -euo pipefail

readonly DIR=${1:?usage: selftest.sh IMAGES_DIR [SOCKET]}
readonly SOCK=${2:-/run/lsctl-test/containerd.sock}
readonly NS=lsctl-selftest-$$
readonly PG_PORT=55432 REDIS_PORT=56379
ctr_() { ctr --address "$SOCK" -n "$NS" "$@"; }
log() { printf 'selftest: %s\n' "$*" >&2; }
die() {
	printf 'selftest: FAIL: %s\n' "$*" >&2
	exit 1
}

cleanup() {
	local c i
	for c in $(ctr_ containers list -q 2>/dev/null); do
		ctr_ tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true
		ctr_ tasks delete -f "$c" >/dev/null 2>&1 || true
		ctr_ containers delete "$c" >/dev/null 2>&1 || true
	done
	for i in $(ctr_ images list -q 2>/dev/null); do ctr_ images remove --sync "$i" >/dev/null 2>&1 || true; done
	ctr --address "$SOCK" namespaces remove "$NS" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# retry runs a command until it succeeds, for at most 30 s.
retry() {
	local deadline=$((SECONDS + 30))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}

import_all() {
	local a
	for a in busybox app postgres redis; do
		ctr_ images import "$DIR/$a.tar" >/dev/null || die "import $a.tar"
	done
	gzip -dc "$DIR/busybox-docker.tar.gz" | ctr_ images import - >/dev/null || die "import busybox-docker.tar.gz"
	log "imported: $(ctr_ images list -q | tr '\n' ' ')"
}

check_busybox() {
	local out
	out=$(ctr_ run --rm localhost/lsctl-test/busybox:1 bb sh -c 'echo busybox says hi') || die "busybox run"
	[ "$out" = "busybox says hi" ] || die "busybox printed '$out'"
	out=$(ctr_ run --rm docker.io/library/busybox:lsctl-test bbd echo from-docker-archive) || die "docker archive run"
	[ "$out" = from-docker-archive ] || die "docker-archive busybox printed '$out'"
	out=$(ctr_ run --rm localhost/lsctl-test/app:1 app cat /www/index.html) || die "app run"
	case $out in *lsctl-test-app*) ;; *) die "app index.html is '$out'" ;; esac
	log "busybox, docker-archive busybox and app run"
}

pg() { ctr_ tasks exec --exec-id "e$RANDOM$RANDOM" pg "$@"; }

check_postgres() {
	local start=$SECONDS uid out
	ctr_ run -d --net-host --env POSTGRES_USER=app --env POSTGRES_PASSWORD=s3cret \
		--env POSTGRES_DB=appdb --env PGPORT=$PG_PORT localhost/lsctl-test/postgres:15 pg \
		docker-entrypoint.sh postgres -c listen_addresses=127.0.0.1 >/dev/null || die "postgres run"
	retry pg pg_isready -h 127.0.0.1 || die "pg_isready never passed on 127.0.0.1:$PG_PORT"
	log "postgres ready in $((SECONDS - start)) s"
	out=$(pg sh -c 'PGPASSWORD=s3cret psql -h 127.0.0.1 -U app -d appdb -AtF, -c "select current_user, current_database()"') ||
		die "psql with the password over TCP"
	[ "$out" = app,appdb ] || die "psql printed '$out', want app,appdb"
	pg sh -c 'PGPASSWORD=wrong psql -h 127.0.0.1 -U app -d appdb -c "select 1"' >/dev/null 2>&1 &&
		die "a wrong password was accepted over TCP"
	# shellcheck disable=SC2016 # $2 is awk's, not the shell's.
	uid=$(pg awk '/^Uid:/ { print $2 }' /proc/1/status)
	[ "$uid" != 0 ] || die "the postgres server runs as root"
	ctr_ tasks kill -s SIGINT pg
	retry sh -c "ctr --address '$SOCK' -n '$NS' tasks list | grep -q '^pg .*STOPPED'" || die "postgres ignored SIGINT"
	log "postgres: user/db/PGPORT honoured, password required, runs as uid $uid, stops on SIGINT"
}

check_redis() {
	local out
	ctr_ run -d --net-host localhost/lsctl-test/redis:7 redis \
		docker-entrypoint.sh redis-server --port $REDIS_PORT --bind 127.0.0.1 --requirepass s3cret >/dev/null || die "redis run"
	rc() { ctr_ tasks exec --exec-id "e$RANDOM$RANDOM" redis redis-cli -p $REDIS_PORT -a s3cret --no-auth-warning "$@"; }
	retry rc PING || die "redis never answered PING"
	out=$(rc PING)
	[ "$out" = PONG ] || die "PING answered '$out'"
	out=$(rc CONFIG GET protected-mode | tail -n1)
	[ "$out" = no ] || die "protected-mode is '$out', want no"
	log "redis: PONG with --requirepass on --port $REDIS_PORT, protected mode off"
}

import_all
check_busybox
check_postgres
check_redis
log "all images OK"
