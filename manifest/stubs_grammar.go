package manifest

// STUBS: the grammar helper replaces every function in this file with a real
// implementation in its own concern file (duration.go, imageref.go, ...) and deletes
// this file. The signatures are the contract the validator and the plan are written to.

import (
	"strconv"
	"time"
)

func quote(s string) string { return strconv.Quote(s) }

func (e *DurationError) reason() string { return string(e.Kind) }

// ParseDuration parses the duration grammar of §17.
func ParseDuration(s string) (time.Duration, error) { return 0, nil }

// ParseImageRef parses an image reference per §18.2.
func ParseImageRef(s string) (ImageRef, error) { return ImageRef{}, nil }

// Normalized is the fully qualified reference containerd stores (§18.3).
func (r ImageRef) Normalized() string { return "" }

// Familiar is the short human form (§18.3).
func (r ImageRef) Familiar() string { return "" }

// Untagged reports whether the reference has neither tag nor digest.
func (r ImageRef) Untagged() bool { return r.Tag == "" && r.Digest == "" }

// ParsePort parses one port mapping (§14); isInt tells a YAML integer from a string.
func ParsePort(text string, isInt bool) (PortMapping, error) { return PortMapping{}, nil }

// ParseVolume parses one volume mapping (§15.1-15.2, 15.5 target rules, 15.4 names).
func ParseVolume(s string) (VolumeMapping, error) { return VolumeMapping{}, nil }

// CheckVolumeName checks a named-volume name (§15.4).
func CheckVolumeName(s string) error { return nil }

// ResolveHostPath resolves a host-path source against the manifest directory (§15.3).
func ResolveHostPath(manifestDir, source string) (string, error) { return "", nil }

// DNSLabel derives a DNS label from a name (§19).
func DNSLabel(s string) string { return s }

// FNV32a returns the FNV-1a 32-bit hash of s as 8 lowercase hex digits (§19 step 3).
func FNV32a(s string) string { return "" }

// EncodeCredential percent-encodes a URL credential (§20).
func EncodeCredential(s string) string { return s }

// ParseDotenv parses a dotenv file's content (§24.2); name is used in error messages.
func ParseDotenv(name string, data []byte) (map[string]string, error) { return nil, nil }

// Suggest returns the "did you mean" candidate of §27.3, or "".
func Suggest(name string, candidates []string) string { return "" }
