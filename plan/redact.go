package plan

import (
	"sort"
	"strings"

	"github.com/lightshuttle/lsctl/manifest"
)

// redactedText replaces a secret value in relayed text (docs/spec/runtime.md §8.4).
const redactedText = "********"

// minRedactLen is the shortest secret value that is redacted: shorter ones would mask
// ordinary text everywhere.
const minRedactLen = 4

// Redactor replaces secret values in text lsctl relays but does not control (probe
// output, BuildKit messages, registry errors). The zero value redacts nothing.
type Redactor struct {
	r *strings.Replacer
}

// NewRedactor builds a Redactor for values and their percent-encoded forms.
func NewRedactor(values []string) *Redactor {
	seen := map[string]bool{}
	var olds []string
	add := func(v string) {
		if len(v) >= minRedactLen && !seen[v] {
			seen[v] = true
			olds = append(olds, v)
		}
	}
	for _, v := range values {
		add(v)
		add(manifest.EncodeCredential(v))
	}
	if len(olds) == 0 {
		return &Redactor{}
	}
	// Longest first: at one position the Replacer takes the first listed match, and a
	// longer secret must not be left half-visible because a shorter one is its prefix.
	sort.SliceStable(olds, func(i, j int) bool { return len(olds[i]) > len(olds[j]) })
	pairs := make([]string, 0, 2*len(olds))
	for _, o := range olds {
		pairs = append(pairs, o, redactedText)
	}
	return &Redactor{r: strings.NewReplacer(pairs...)}
}

// Redact returns s with every secret value replaced by ********.
func (r *Redactor) Redact(s string) string {
	if r == nil || r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// Redactor returns the redactor of every secret value of the plan.
func (p *Plan) Redactor() *Redactor {
	var values []string
	for _, n := range p.Nodes {
		values = append(values, n.SecretValues...)
	}
	return NewRedactor(values)
}
