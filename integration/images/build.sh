#!/usr/bin/env bash
# build.sh builds lsctl's integration test images from Debian packages, with no registry:
#   busybox.tar   localhost/lsctl-test/busybox:1     Debian's static busybox, Cmd ["sh"]
#   app.tar       localhost/lsctl-test/app:1         busybox + httpd serving /www on 8080
#   postgres.tar  localhost/lsctl-test/postgres:15   official postgres image contract
#   redis.tar     localhost/lsctl-test/redis:7       official redis image contract
#   busybox-docker.tar.gz  busybox as a gzip `docker save` archive tagged busybox:lsctl-test
#   demo-app.tar  localhost/lsctl-demo/app:1     the Debian layer + demo/demo-app (examples/demo)
# Each is an OCI image-layout archive named by the io.containerd.image.name annotation.
# Results are cached in $LSCTL_TEST_CACHE/images/<sha256 of this directory's files>/.
#
# Usage: build.sh            build (or reuse) the images; prints the output directory
#        build.sh --print-dir  print the output directory without building
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly CACHE_ROOT=${LSCTL_TEST_CACHE:-/var/cache/lsctl-test}/images
readonly BASE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf 'images: %s\n' "$*" >&2; }
die() {
	printf 'images: error: %s\n' "$*" >&2
	exit 1
}

# shellcheck source=integration/images/rootfs.sh
. "$HERE/rootfs.sh"
# shellcheck source=integration/images/oci.sh
. "$HERE/oci.sh"

# builder_hash is the cache key: every file of the builder, by relative path and content
# (selftest.sh only checks the images, so it is left out).
builder_hash() {
	(cd "$HERE" && find . -type f ! -name selftest.sh -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) |
		sha256sum | cut -d' ' -f1
}

# entrypoint_layer makes a layer holding one entrypoint script in /usr/local/bin.
entrypoint_layer() {
	local work=$1 script=$2 dir
	dir=$(mktemp -d "$work/ep.XXXXXX")
	install -D -m 0755 "$script" "$dir/usr/local/bin/docker-entrypoint.sh"
	layer_tar "$dir" "$dir.tar"
	rm -rf "$dir"
	blob_add "$work" "$dir.tar"
}

# build_busybox_images writes busybox.tar, app.tar and busybox-docker.tar.gz.
build_busybox_images() {
	local work=$1 out=$2 base app
	busybox_rootfs "$work/busybox"
	layer_tar "$work/busybox" "$work/busybox.tar"
	base=$(blob_add "$work" "$work/busybox.tar")
	mkdir -p "$work/app/www"
	cp "$HERE/app/index.html" "$work/app/www/index.html"
	layer_tar "$work/app" "$work/app.tar"
	app=$(blob_add "$work" "$work/app.tar")
	local cfg
	cfg=$(jq -cn --arg p "PATH=$BASE_PATH" '{Env: [$p], Cmd: ["sh"]}')
	oci_archive "$work" "$out/busybox.tar" localhost/lsctl-test/busybox:1 "$cfg" "$base"
	docker_archive "$work" "$out/busybox-docker.tar.gz" busybox:lsctl-test "$cfg" "$base"
	cfg=$(jq -cn --arg p "PATH=$BASE_PATH" '{Env: [$p], WorkingDir: "/www",
		ExposedPorts: {"8080/tcp": {}}, Cmd: ["httpd", "-f", "-v", "-p", "8080", "-h", "/www"]}')
	oci_archive "$work" "$out/app.tar" localhost/lsctl-test/app:1 "$cfg" "$base" "$app"
}

# debian_layer adds the shared Debian layer to the blob store and prints its digest. The
# layer is the slow part (debootstrap), so it has a cache of its own, keyed by its recipe
# alone: editing an entrypoint script does not bootstrap Debian again.
debian_layer() {
	local work=$1 cached
	cached=$CACHE_ROOT/debian-$(sha256sum "$HERE/rootfs.sh" | cut -c1-16).tar
	if [ ! -f "$cached" ]; then
		debian_rootfs "$work/debian"
		layer_tar "$work/debian" "$work/debian.tar"
		rm -rf "$work/debian"
		mv "$work/debian.tar" "$cached.tmp"
		mv "$cached.tmp" "$cached"
	else
		log "reusing the Debian layer $cached"
	fi
	ln -f "$cached" "$work/debian.tar"
	blob_add "$work" "$work/debian.tar"
}

# build_server_images writes postgres.tar and redis.tar over one shared Debian layer.
build_server_images() {
	local work=$1 out=$2 base ep cfg
	base=$(debian_layer "$work")

	ep=$(entrypoint_layer "$work" "$HERE/postgres/docker-entrypoint.sh")
	cfg=$(jq -cn --arg p "PATH=/usr/local/sbin:/usr/local/bin:/usr/lib/postgresql/15/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
		'{Env: [$p, "PG_MAJOR=15", "LANG=C.UTF-8", "PGDATA=/var/lib/postgresql/data"],
		Entrypoint: ["docker-entrypoint.sh"], Cmd: ["postgres"], StopSignal: "SIGINT",
		ExposedPorts: {"5432/tcp": {}}, Volumes: {"/var/lib/postgresql/data": {}}}')
	oci_archive "$work" "$out/postgres.tar" localhost/lsctl-test/postgres:15 "$cfg" "$base" "$ep"

	ep=$(entrypoint_layer "$work" "$HERE/redis/docker-entrypoint.sh")
	cfg=$(jq -cn --arg p "PATH=$BASE_PATH" '{Env: [$p], WorkingDir: "/data",
		Entrypoint: ["docker-entrypoint.sh"], Cmd: ["redis-server"],
		ExposedPorts: {"6379/tcp": {}}, Volumes: {"/data": {}}}')
	oci_archive "$work" "$out/redis.tar" localhost/lsctl-test/redis:7 "$cfg" "$base" "$ep"
}

# build_demo_image writes demo-app.tar, the app of examples/demo: the shared Debian layer
# (it holds psql and redis-cli, and containerd stores it once for all three images) plus
# a layer with /usr/local/bin/demo-app.
build_demo_image() {
	local work=$1 out=$2 cached base dir app cfg
	# build_server_images already put the Debian layer into the blob store as a hard link
	# to its cache file: find it by inode rather than adding (and hashing) 400 MB again.
	cached=$CACHE_ROOT/debian-$(sha256sum "$HERE/rootfs.sh" | cut -c1-16).tar
	base=$(find "$work/blobs/sha256" -samefile "$cached" -printf 'sha256:%f\n' -quit)
	[ -n "$base" ] || base=$(debian_layer "$work")
	dir=$(mktemp -d "$work/demo.XXXXXX")
	install -D -m 0755 "$HERE/demo/demo-app" "$dir/usr/local/bin/demo-app"
	layer_tar "$dir" "$dir.tar"
	rm -rf "$dir"
	app=$(blob_add "$work" "$dir.tar")
	cfg=$(jq -cn --arg p "PATH=/usr/local/sbin:/usr/local/bin:/usr/lib/postgresql/15/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
		'{Env: [$p, "LANG=C.UTF-8"], Cmd: ["demo-app"]}')
	oci_archive "$work" "$out/demo-app.tar" localhost/lsctl-demo/app:1 "$cfg" "$base" "$app"
}

# cleanup removes the work directory, first stopping daemons and unmounting whatever an
# interrupted debootstrap left inside it (rm -rf must never descend into a mounted /proc).
cleanup() {
	local work=$1 m
	[ -d "$work/debian" ] && kill_chroot_processes "$work/debian"
	awk -v d="$work/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$work"
}

# prune_old removes image sets and Debian layers of other builder versions built more than
# a day ago; each set is about 800 MB.
prune_old() {
	local keep=$1 layer
	layer=debian-$(sha256sum "$HERE/rootfs.sh" | cut -c1-16).tar
	find "$CACHE_ROOT" -mindepth 1 -maxdepth 1 -regextype posix-extended -mmin +1440 \
		\( \( -type d -regex '.*/[0-9a-f]{64}' ! -path "$keep" \) -o \
		\( -type f -name 'debian-*.tar' ! -name "$layer" \) \) -exec rm -rf {} +
}

main() {
	local out
	out=$CACHE_ROOT/$(builder_hash)
	if [ "${1:-}" = --print-dir ]; then
		echo "$out"
		return 0
	fi
	if [ -f "$out/.complete" ]; then
		log "cached in $out"
		echo "$out"
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "must run as root (debootstrap and file ownership need it)"
	command -v jq >/dev/null || die "jq is missing; run: integration/provision.sh install"
	mkdir -p "$CACHE_ROOT"
	# One build at a time: a second one waits, then finds the first one's result.
	exec 9>"$CACHE_ROOT/.lock"
	flock 9
	if [ -f "$out/.complete" ]; then
		log "built meanwhile in $out"
		echo "$out"
		return 0
	fi
	local work start=$SECONDS
	work=$(mktemp -d "$CACHE_ROOT/work.XXXXXX")
	# shellcheck disable=SC2064 # expand now: the trap must clean this very directory.
	trap "cleanup '$work'" EXIT
	mkdir -p "$work/out"
	build_busybox_images "$work" "$work/out"
	build_server_images "$work" "$work/out"
	build_demo_image "$work" "$work/out"
	touch "$work/out/.complete"
	rm -rf "$out"
	mv "$work/out" "$out"
	prune_old "$out"
	log "built in $((SECONDS - start)) s: $(cd "$out" && echo *)"
	echo "$out"
}

main "$@"
