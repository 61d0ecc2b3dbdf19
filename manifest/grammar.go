package manifest

// This file declares the canonical grammars of docs/spec/manifest.md §14–§20 and §24. Each grammar
// has its own file (duration.go, imageref.go, port.go, volume.go, dnslabel.go,
// credential.go, dotenv.go, interpolate.go, suggest.go); this one only holds the shared
// result types so that the validator and the plan can be written against them.

import "time"

// DurationErrorKind classifies a duration that does not parse (§17).
type DurationErrorKind string

// Duration error kinds.
const (
	DurationEmpty           DurationErrorKind = "Empty"
	DurationUnknownUnit     DurationErrorKind = "UnknownUnit"
	DurationMalformed       DurationErrorKind = "Malformed"
	DurationOverflow        DurationErrorKind = "Overflow"
	DurationBelowResolution DurationErrorKind = "BelowResolution"
)

// DurationError is returned by ParseDuration.
type DurationError struct {
	Input string
	Kind  DurationErrorKind
	at    int // offset of the failing term in the trimmed input (UnknownUnit)
}

func (e *DurationError) Error() string {
	return "invalid duration " + quote(e.Input) + ": " + e.reason()
}

// ImageRef is a parsed image reference (§18).
type ImageRef struct {
	Registry string // "" when absent in the input
	Path     string
	Tag      string // "" when absent
	Digest   string // "" when absent
}

// PortMapping is a parsed port mapping (§14). HostIP is "127.0.0.1" unless given.
type PortMapping struct {
	HostIP        string
	HostPort      uint16
	ContainerPort uint16
}

// VolumeMapping is a parsed volume mapping (§15).
type VolumeMapping struct {
	Source   string // named volume name, or host path as written (not yet resolved)
	Target   string
	HostPath bool // source is a host path (relative or absolute)
	ReadOnly bool // the mode suffix :ro (§15.1 step 3); :rw and no suffix mount read-write
}

// compile-time use of time so the shared file documents durations as time.Duration.
var _ time.Duration
