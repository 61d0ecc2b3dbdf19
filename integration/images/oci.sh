# oci.sh writes OCI image-layout and docker-save archives with shell tools and jq;
# sourced by build.sh. Layers are uncompressed tars, so a layer's digest is its diff ID.
# shellcheck shell=bash

# layer_tar archives a directory as a layer: sorted, numeric owners kept (postgres files
# must stay owned by the postgres uid), fixed modification times so rebuilds match.
layer_tar() {
	local dir=$1 out=$2
	tar --sort=name --numeric-owner --mtime=@0 -C "$dir" -cf "$out" .
}

# blob_add moves a file into the blob store and prints its digest.
blob_add() {
	local store=$1 file=$2 hex
	hex=$(sha256sum "$file" | cut -d' ' -f1)
	mkdir -p "$store/blobs/sha256"
	mv -f "$file" "$store/blobs/sha256/$hex"
	echo "sha256:$hex"
}

# blob_size prints the size in bytes of a stored blob.
blob_size() { stat -c %s "$1/blobs/sha256/${2#sha256:}"; }

# image_config prints an OCI image config for a runtime config and a list of layer digests.
image_config() {
	local config=$1
	shift
	jq -cn --arg arch "$(dpkg --print-architecture)" --argjson config "$config" \
		--args '{created: "1970-01-01T00:00:00Z", architecture: $arch, os: "linux",
			config: $config, rootfs: {type: "layers", diff_ids: $ARGS.positional},
			history: [$ARGS.positional[] | {created: "1970-01-01T00:00:00Z",
				created_by: "integration/images/build.sh"}]}' "$@"
}

# image_manifest prints an OCI manifest for a config digest and layer digests.
image_manifest() {
	local store=$1 config=$2 layers=() d
	shift 2
	for d in "$@"; do
		layers+=("$(jq -cn --arg d "$d" --argjson s "$(blob_size "$store" "$d")" \
			'{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $d, size: $s}')")
	done
	jq -cn --arg c "$config" --argjson cs "$(blob_size "$store" "$config")" --args \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		layers: [$ARGS.positional[] | fromjson]}' "${layers[@]}"
}

# oci_archive writes an OCI image-layout tar named NAME holding one image.
# Usage: oci_archive STORE OUT NAME CONFIG_JSON LAYER_DIGEST...
oci_archive() {
	local store=$1 out=$2 name=$3 config=$4 layout config_digest manifest_digest d
	shift 4
	layout=$(mktemp -d "$store/layout.XXXXXX")
	image_config "$config" "$@" >"$layout/config.json"
	config_digest=$(blob_add "$store" "$layout/config.json")
	image_manifest "$store" "$config_digest" "$@" >"$layout/manifest.json"
	manifest_digest=$(blob_add "$store" "$layout/manifest.json")
	mkdir -p "$layout/blobs/sha256"
	for d in "$config_digest" "$manifest_digest" "$@"; do
		ln -f "$store/blobs/sha256/${d#sha256:}" "$layout/blobs/sha256/"
	done
	echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
	jq -cn --arg d "$manifest_digest" --argjson s "$(blob_size "$store" "$manifest_digest")" \
		--arg name "$name" --arg tag "${name##*:}" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
		manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s,
			annotations: {"io.containerd.image.name": $name, "org.opencontainers.image.ref.name": $tag}}]}' \
		>"$layout/index.json"
	tar --sort=name --mtime=@0 --owner=0 --group=0 -C "$layout" -cf "$out" oci-layout index.json blobs
	rm -rf "$layout"
}

# docker_archive writes a gzip-compressed `docker save` archive (manifest.json, config,
# one directory per layer) holding one image tagged TAG.
# Usage: docker_archive STORE OUT TAG CONFIG_JSON LAYER_DIGEST...
docker_archive() {
	local store=$1 out=$2 tag=$3 config=$4 dir hex layers=() d
	shift 4
	dir=$(mktemp -d "$store/docker.XXXXXX")
	image_config "$config" "$@" >"$dir/config.json"
	hex=$(sha256sum "$dir/config.json" | cut -d' ' -f1)
	mv "$dir/config.json" "$dir/$hex.json"
	for d in "$@"; do
		mkdir -p "$dir/${d#sha256:}"
		ln -f "$store/blobs/sha256/${d#sha256:}" "$dir/${d#sha256:}/layer.tar"
		echo '1.0' >"$dir/${d#sha256:}/VERSION"
		layers+=("${d#sha256:}/layer.tar")
	done
	jq -cn --arg c "$hex.json" --arg t "$tag" --args \
		'[{Config: $c, RepoTags: [$t], Layers: $ARGS.positional}]' "${layers[@]}" >"$dir/manifest.json"
	tar --sort=name --mtime=@0 --owner=0 --group=0 -C "$dir" -cf - . | gzip -n >"$out"
	rm -rf "$dir"
}
