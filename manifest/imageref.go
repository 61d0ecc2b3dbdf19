package manifest

// This file implements image references (docs/spec/manifest.md §18): the parsing procedure of
// §18.2, which never splits at a fixed colon, and the normalisation of §18.3.
//
// Error convention: ParseImageRef returns a plain error whose message is the reason only
// (for example `repository names must be lowercase ...`); the validator wraps it into
// `invalid image reference "<ref>": <reason>` (§27.2 invalid-image).

import (
	"errors"
	"fmt"
	"strings"
)

// Image reference reasons that name no part of the input.
var (
	errImageEmpty   = errors.New("the reference is empty")
	errImageTooLong = errors.New("the repository name (registry and path, normalised) is longer than 255 characters")
)

// maxImageNameLen bounds registry + "/" + path of the normalised name (§18.2 step 5).
const maxImageNameLen = 255

// ParseImageRef parses an image reference per §18.2: an optional registry, a path, an
// optional tag and an optional digest. Surrounding whitespace is ignored. Fields absent
// from the input stay "" (normalisation is Normalized's job).
func ParseImageRef(s string) (ImageRef, error) {
	name := strings.TrimSpace(s)
	if name == "" {
		return ImageRef{}, errImageEmpty
	}
	var ref ImageRef
	if at := strings.IndexByte(name, '@'); at >= 0 {
		ref.Digest = name[at+1:]
		name = name[:at]
		if !validDigest(ref.Digest) {
			return ImageRef{}, fmt.Errorf("invalid digest %s: expected sha256:<64 lowercase hex digits> or sha512:<128 lowercase hex digits>", quote(ref.Digest))
		}
	}
	if colon := strings.LastIndexByte(name, ':'); colon >= 0 && strings.IndexByte(name[colon+1:], '/') < 0 {
		ref.Tag = name[colon+1:]
		name = name[:colon]
		if !validTag(ref.Tag) {
			return ImageRef{}, fmt.Errorf("invalid tag %s: a tag is 1 to 128 letters, digits, \"_\", \".\" or \"-\" and does not start with \".\" or \"-\"", quote(ref.Tag))
		}
	}
	ref.Path = name
	if slash := strings.IndexByte(name, '/'); slash >= 0 {
		first := name[:slash]
		if strings.ContainsAny(first, ".:") || first == "localhost" {
			ref.Registry, ref.Path = first, name[slash+1:]
			if !validRegistry(first) {
				return ImageRef{}, fmt.Errorf("invalid registry %s: expected a host name or IPv4 address with an optional :port", quote(first))
			}
		}
	}
	if err := checkImagePath(ref.Path); err != nil {
		return ImageRef{}, err
	}
	if len(ref.normalizedName()) > maxImageNameLen {
		return ImageRef{}, errImageTooLong
	}
	return ref, nil
}

// checkImagePath checks every path component (§18.1 component), telling upper-case
// letters apart because they are the usual mistake.
func checkImagePath(path string) error {
	for rest := path; ; {
		comp, tail, more := strings.Cut(rest, "/")
		if !validPathComponent(comp) {
			if strings.ToLower(comp) != comp && validPathComponent(strings.ToLower(comp)) {
				return fmt.Errorf("repository names must be lowercase: %s", quote(path))
			}
			return fmt.Errorf("invalid repository %s: path components are lowercase letters and digits, separated by \".\", \"_\", \"__\" or \"-\", joined by single \"/\"", quote(path))
		}
		if !more {
			return nil
		}
		rest = tail
	}
}

// validPathComponent matches component = alnum *( separator alnum ) with
// alnum = 1*[a-z0-9] and separator = "." | "_" | "__" | 1*"-".
func validPathComponent(c string) bool {
	if c == "" || !isLowerAlnum(c[0]) || !isLowerAlnum(c[len(c)-1]) {
		return false
	}
	for i := 1; i < len(c); {
		if isLowerAlnum(c[i]) {
			i++
			continue
		}
		j := i
		for j < len(c) && !isLowerAlnum(c[j]) {
			j++
		}
		if !validSeparator(c[i:j]) {
			return false
		}
		i = j
	}
	return true
}

// validSeparator reports whether sep is ".", "_", "__" or a run of "-".
func validSeparator(sep string) bool {
	switch sep {
	case ".", "_", "__":
		return true
	}
	return strings.Trim(sep, "-") == ""
}

// validRegistry matches registry = host [ ":" port ] of §18.1.
func validRegistry(r string) bool {
	host, port, hasPort := strings.Cut(r, ":")
	if hasPort && (port == "" || strings.TrimLeft(port, "0123456789") != "") {
		return false
	}
	if host == "" {
		return false
	}
	for label := range strings.SplitSeq(host, ".") {
		if !validHostLabel(label) {
			return false
		}
	}
	return true
}

// validHostLabel matches hlabel: alphanumerics and inner hyphens.
func validHostLabel(l string) bool {
	if l == "" || !isAlnum(l[0]) || !isAlnum(l[len(l)-1]) {
		return false
	}
	for i := 0; i < len(l); i++ {
		if !isAlnum(l[i]) && l[i] != '-' {
			return false
		}
	}
	return true
}

// validTag matches tag = [A-Za-z0-9_] *127[A-Za-z0-9_.-].
func validTag(t string) bool {
	if t == "" || len(t) > 128 || !(isAlnum(t[0]) || t[0] == '_') {
		return false
	}
	for i := 1; i < len(t); i++ {
		if c := t[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// validDigest accepts only what containerd can resolve: sha256 with 64 or sha512 with
// 128 lowercase hexadecimal digits (§18.2 step 2).
func validDigest(d string) bool {
	alg, hex, _ := strings.Cut(d, ":")
	switch {
	case alg == "sha256" && len(hex) == 64, alg == "sha512" && len(hex) == 128:
	default:
		return false
	}
	for i := 0; i < len(hex); i++ {
		if c := hex[i]; !isDigit(c) && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// isLowerAlnum reports whether c is in [a-z0-9].
func isLowerAlnum(c byte) bool { return isDigit(c) || (c >= 'a' && c <= 'z') }

// isAlnum reports whether c is in [A-Za-z0-9].
func isAlnum(c byte) bool { return isLowerAlnum(c) || (c >= 'A' && c <= 'Z') }

// Normalized is the fully qualified reference containerd stores (§18.3): docker.io is
// the default registry (index.docker.io is an alias of it), single-component Docker Hub
// paths live under library/, and a reference without tag or digest gets tag latest.
func (r ImageRef) Normalized() string {
	tag := r.Tag
	if r.Untagged() {
		tag = "latest"
	}
	return joinImageRef(r.normalizedName(), tag, r.Digest)
}

// normalizedName is the registry and path of the normalised reference (§18.3 steps 1-2).
// Its length is what the 255-character limit applies to, as in Docker, because it is the
// name containerd stores.
func (r ImageRef) normalizedName() string {
	reg, path := r.Registry, r.Path
	if reg == "" || reg == "index.docker.io" {
		reg = "docker.io"
	}
	if reg == "docker.io" && strings.IndexByte(path, '/') < 0 {
		path = "library/" + path
	}
	return reg + "/" + path
}

// Familiar is the short human form (§18.3): the Docker Hub registry and its library/
// prefix are dropped, other registries are shown in full. No tag is invented: an
// untagged reference stays untagged.
func (r ImageRef) Familiar() string {
	name := r.Registry + "/" + r.Path
	switch r.Registry {
	case "", "docker.io", "index.docker.io":
		name = r.Path
		if rest, ok := strings.CutPrefix(name, "library/"); ok && strings.IndexByte(rest, '/') < 0 {
			name = rest
		}
	}
	return joinImageRef(name, r.Tag, r.Digest)
}

// joinImageRef appends the optional tag and digest to a name.
func joinImageRef(name, tag, digest string) string {
	if tag != "" {
		name += ":" + tag
	}
	if digest != "" {
		name += "@" + digest
	}
	return name
}

// Untagged reports whether the reference has neither tag nor digest.
func (r ImageRef) Untagged() bool { return r.Tag == "" && r.Digest == "" }
