# rootfs.sh builds the root filesystems of the test images; sourced by build.sh.
# shellcheck shell=bash

readonly DEBIAN_SUITE=bookworm
# Both server images share one Debian root filesystem (one layer, stored once by
# containerd); each adds its own entrypoint layer.
readonly DEBIAN_PACKAGES=postgresql-15,redis-server,ca-certificates

# debian_mirror prints the first Debian mirror configured for the suite on this host, read
# from /etc/apt at run time so that no mirror host is ever written into the repository.
debian_mirror() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# deb822 stanzas: print the URI of a stanza whose Suites name the suite exactly.
		uri=$(awk -v suite="$DEBIAN_SUITE" '
			/^[ \t]*$/ { if (ok && u != "") { print u; exit } ; ok = 0; u = "" ; next }
			tolower($1) == "uris:" { u = $2 }
			tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
			END { if (ok && u != "") print u }' "$f" | head -n1)
		[ -n "$uri" ] && echo "$uri" && return 0
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uri=$(sed -E 's/\[[^]]*\]//' "$f" |
			awk -v suite="$DEBIAN_SUITE" '$1 == "deb" && $3 == suite { print $2; exit }')
		[ -n "$uri" ] && echo "$uri" && return 0
	done
	die "no apt source for suite $DEBIAN_SUITE in /etc/apt/sources.list*: debootstrap needs a Debian mirror"
}

# busybox_rootfs lays out Debian's static busybox with a symlink per applet.
busybox_rootfs() {
	local dir=$1 applet
	[ -x /bin/busybox ] || die "/bin/busybox is missing; run: integration/provision.sh install"
	mkdir -p "$dir"/{bin,etc,tmp,root,proc,sys,dev,run,var/www,usr/bin,usr/sbin,sbin}
	chmod 1777 "$dir/tmp"
	cp /bin/busybox "$dir/bin/busybox"
	for applet in $(/bin/busybox --list); do
		[ "$applet" = busybox ] || ln -s busybox "$dir/bin/$applet"
	done
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
		>"$dir/etc/passwd"
	printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$dir/etc/group"
}

# kill_chroot_processes stops daemons a package's postinst may have started inside the
# new root (debootstrap runs maintainer scripts without a policy-rc.d).
kill_chroot_processes() {
	local dir p
	dir=$(realpath "$1")
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$dir" ] && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	return 0
}

# trim_debian_rootfs drops what a server image never needs: docs, translations, apt state,
# device nodes (the runtime provides /dev) and the cluster the postgres package created.
trim_debian_rootfs() {
	# Relative paths inside a subshell: an empty argument can never reach the host's /dev.
	(
		cd "${1:?trim_debian_rootfs needs a directory}" &&
			rm -rf usr/share/{doc,man,info,locale,lintian,linda}/* \
				var/lib/apt/lists/* var/cache/apt/* var/cache/debconf/*-old \
				var/log/* dev/* run/* tmp/* var/lib/postgresql/15 etc/postgresql/15
	)
}

# debian_rootfs bootstraps the shared postgres + redis root filesystem.
debian_rootfs() {
	local dir=$1 mirror
	command -v debootstrap >/dev/null || die "debootstrap is missing; run: integration/provision.sh install"
	mirror=$(debian_mirror)
	log "debootstrap $DEBIAN_SUITE with $DEBIAN_PACKAGES (about a minute)"
	if ! debootstrap --variant=minbase --include="$DEBIAN_PACKAGES" "$DEBIAN_SUITE" "$dir" "$mirror" \
		>"$dir.log" 2>&1; then
		tail -n 40 "$dir.log" >&2
		die "debootstrap of $DEBIAN_SUITE from $mirror failed (last lines above)"
	fi
	kill_chroot_processes "$dir"
	trim_debian_rootfs "$dir"
	# /var/run is an absolute symlink to /run: paths here must not go through it, or they
	# would land on the host.
	mkdir -p "$dir/usr/local/bin" "$dir/run/postgresql" "$dir/var/lib/postgresql/data" "$dir/data"
	chroot "$dir" chown postgres:postgres /run/postgresql /var/lib/postgresql/data
	chmod 3777 "$dir/run/postgresql"
	chmod 700 "$dir/var/lib/postgresql/data"
}
