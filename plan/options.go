package plan

import "github.com/lightshuttle/lsctl/manifest"

// PasswordPlaceholder stands for a generated password that does not exist yet
// (docs/spec/manifest.md §26.1 phase 5): read-only commands never generate secrets.
const PasswordPlaceholder = "xxxxxxxxxxxxxxxxxxxxxxxx"

// SecretStore supplies the generated passwords of a project (docs/spec/runtime.md §8).
type SecretStore interface {
	// Password returns the stored generated password of a postgres resource.
	Password(resource string) (string, bool)
}

// Options tell Build where values come from.
type Options struct {
	// Env resolves ${env.*} references (docs/spec/manifest.md §25); nil means every variable is unset.
	Env *manifest.Env
	// Secrets supplies generated passwords; nil, or a missing entry, yields
	// PasswordPlaceholder.
	Secrets SecretStore
	// RequireEnv makes a missing required variable an error naming all of them
	// (up, restart, pull; docs/spec/manifest.md §25).
	RequireEnv bool
	// Offsets is the address table of an existing network record: resource -> host
	// offset. Resources listed keep their offset (docs/spec/runtime.md §5.2).
	Offsets map[string]int
	// DataRoot is lsctl's state directory; "" means DefaultDataRoot.
	DataRoot string
	// NeedsGenerated, when set, is told every postgres resource whose password is
	// omitted or resolves to empty, so that `up` can generate and store it.
	NeedsGenerated func(resource string)
}
