package export

import (
	"regexp"
	"sort"
	"strings"

	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// secretWords mark an environment key whose value is a secret whatever its source: the
// export never trusts such a value to be harmless.
var secretWords = []string{"PASSWORD", "PASSWD", "TOKEN", "SECRET", "CREDENTIAL", "KEY", "PRIVATE", "AUTH"}

// urlWithPassword matches a URL carrying a password in its user information.
var urlWithPassword = regexp.MustCompile(`://[^/@:\s]*:[^/@\s]+@`)

// minContained is the shortest secret searched for inside longer text; shorter ones are
// only recognised as whole values (as the redactor does, plan.NewRedactor).
const minContained = 4

// looksSecret reports whether an environment key names a secret (PASSWORD, TOKEN, KEY...).
func looksSecret(key string) bool {
	up := strings.ToUpper(key)
	for _, w := range secretWords {
		if strings.Contains(up, w) {
			return true
		}
	}
	return false
}

// secretSet is every secret value of a plan: `secrets:` values, generated and explicit
// passwords, password/url outputs, probe credentials and values of secret-looking keys,
// each also in its percent-encoded form. Longest first, so that a secret that contains
// another is replaced whole.
type secretSet struct{ values []string }

// newSecretSet collects the secret values of every node of p (enabled or not: a disabled
// resource's password still appears in its dependents' URLs).
func newSecretSet(p *plan.Plan) *secretSet {
	seen := map[string]bool{}
	s := &secretSet{}
	add := func(v string) {
		for _, x := range []string{v, manifest.EncodeCredential(v)} {
			if x != "" && !seen[x] {
				seen[x] = true
				s.values = append(s.values, x)
			}
		}
	}
	for _, n := range p.Nodes {
		for _, v := range n.SecretValues {
			add(v)
		}
		for _, e := range n.Spec.Env {
			if e.Secret || looksSecret(e.Name) {
				add(e.Value)
			}
		}
		if n.Health != nil {
			for _, e := range n.Health.Env {
				add(e.Value)
			}
		}
		if n.Spec.Build != nil {
			for _, a := range n.Spec.Build.Args {
				if looksSecret(a.Name) {
					add(a.Value)
				}
			}
		}
	}
	sort.SliceStable(s.values, func(i, j int) bool { return len(s.values[i]) > len(s.values[j]) })
	return s
}

// isSecretValue reports whether an environment value must not be emitted: its key looks
// secret, it is a known secret, contains one, or is a URL with a password.
func (s *secretSet) isSecretValue(key, value string) bool {
	if looksSecret(key) || urlWithPassword.MatchString(value) {
		return true
	}
	for _, v := range s.values {
		if value == v || len(v) >= minContained && strings.Contains(value, v) {
			return true
		}
	}
	return false
}

// find returns the first secret occurring in text at or after from, preferring the
// longest at one position; ok is false when none occurs.
func (s *secretSet) find(text string) (at int, secret string, ok bool) {
	at = -1
	for _, v := range s.values {
		if len(v) < minContained && text != v {
			continue
		}
		if i := strings.Index(text, v); i >= 0 && (at < 0 || i < at) {
			at, secret = i, v
		}
	}
	return at, secret, at >= 0
}

// segment is a piece of an emitted string: literal text, or a reference to the secret
// environment variable Var of the same container (rendered per target: ${X}, $(X)).
type segment struct {
	Text string
	Var  string
}

// arg is a string split into literal text and secret references.
type arg []segment

// plain reports whether a carries no secret reference.
func (a arg) plain() bool {
	for _, s := range a {
		if s.Var != "" {
			return false
		}
	}
	return true
}

// render joins a's segments, escaping literal text with esc and rendering references
// with ref.
func (a arg) render(esc func(string) string, ref func(string) string) string {
	var b strings.Builder
	for _, s := range a {
		if s.Var != "" {
			b.WriteString(ref(s.Var))
		} else {
			b.WriteString(esc(s.Text))
		}
	}
	return b.String()
}

// split cuts text at every secret it contains; varFor names the environment variable
// that carries a given secret value inside the container.
func (s *secretSet) split(text string, varFor func(secret string) string) arg {
	var out arg
	for text != "" {
		i, v, ok := s.find(text)
		if !ok {
			out = append(out, segment{Text: text})
			break
		}
		if i > 0 {
			out = append(out, segment{Text: text[:i]})
		}
		out = append(out, segment{Var: varFor(v)})
		text = text[i+len(v):]
	}
	return out
}

// leaks returns the first known secret (of at least minContained characters, or equal to
// a whole line's value) that occurs in data; "" when none does. It is the last line of
// defence before anything is written.
func (s *secretSet) leaks(data string) string {
	for _, v := range s.values {
		if len(v) >= minContained && strings.Contains(data, v) {
			return v
		}
	}
	return ""
}
