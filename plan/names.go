package plan

import (
	"path/filepath"
	"regexp"
	"strings"

	"github.com/lightshuttle/lsctl/manifest"
)

// containerIDRule is containerd's identifier rule (docs/spec/runtime.md §4.1).
var containerIDRule = regexp.MustCompile(`^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$`)

// repoComponentRule is the repository path component of docs/spec/manifest.md §18.1.
var repoComponentRule = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$`)

// maxContainerID is the longest identifier used unsanitised (docs/spec/runtime.md §4.1).
const maxContainerID = 76

// ContainerID returns the containerd identifier of a resource's container
// (docs/spec/runtime.md §4.1): <project>_<resource> when containerd accepts it, otherwise a
// sanitised form made injective by the FNV-1a hash of the candidate.
func ContainerID(project, resource string) string {
	candidate := project + "_" + resource
	if len(candidate) <= maxContainerID && containerIDRule.MatchString(candidate) {
		return candidate
	}
	return sanitizedWithHash(candidate)
}

// sanitizedWithHash replaces every maximal run of characters outside [A-Za-z0-9] by one
// "-", strips leading and trailing "-" and appends "-<fnv32a(s)>". The result never
// contains "_", so it cannot meet an unsanitised identifier.
func sanitizedWithHash(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range s {
		alnum := c < 128 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')
		if alnum {
			b.WriteRune(c)
			dash = false
			continue
		}
		if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	body := strings.Trim(b.String(), "-")
	if body == "" {
		return manifest.FNV32a(s)
	}
	return body + "-" + manifest.FNV32a(s)
}

// BuiltImageName is the name a dockerfile resource's image is stored under
// (docs/spec/runtime.md §3.5): docker.io/lightshuttle/<project>_<resource>:dev, sanitised like a
// container identifier when that is not a valid repository component.
func BuiltImageName(project, resource string) string {
	x := project + "_" + resource
	if !repoComponentRule.MatchString(x) {
		x = strings.ToLower(sanitizedWithHash(x))
	}
	return "docker.io/lightshuttle/" + x + ":dev"
}

// NetworkName is the project network's name, lightshuttle-<dns(project)> (docs/spec/runtime.md §5.1).
func NetworkName(project string) string {
	return "lightshuttle-" + manifest.DNSLabel(project)
}

// BridgeName is the bridge interface of a network: "lsh-" and the FNV-1a hash of the
// network name, 12 characters, within the kernel's 15-character limit (docs/spec/runtime.md §5.1).
func BridgeName(network string) string {
	return "lsh-" + manifest.FNV32a(network)
}

// DefaultVolumeName is the volume a postgres or redis resource gets with `volume: true`.
func DefaultVolumeName(project, resource string) string {
	return project + "_" + resource + "_data"
}

// DefaultDataRoot is lsctl's state directory when --data-root is not given.
const DefaultDataRoot = "/var/lib/lsctl"

// LogPath is the log file of a resource, <project dir>/logs/<resource>.log
// (docs/spec/runtime.md §1.2, §10.1): the log driver writes it, logs, ps and up read it.
func LogPath(dataRoot, project, resource string) string {
	return filepath.Join(ProjectDir(dataRoot, project), "logs", resource+".log")
}

// ProjectDir is <data-root>/projects/<project> (docs/spec/runtime.md §1.2).
func ProjectDir(dataRoot, project string) string {
	if dataRoot == "" {
		dataRoot = DefaultDataRoot
	}
	return filepath.Join(dataRoot, "projects", project)
}
