package manifest

// Env resolves ${env.*} variables (§25): the dotenv file first, then the process
// environment. An empty value counts as unset, and an empty dotenv entry hides the
// process environment.
type Env struct {
	dotenvPath string
	dotenv     map[string]string
	lookup     func(string) (string, bool)
}

// NewEnv builds the environment from a parsed dotenv file (nil when none was read) and a
// process environment lookup (nil means nothing is set). dotenvPath is the dotenv file
// that was, or would have been, read: the missing-env message names it.
func NewEnv(dotenvPath string, dotenv map[string]string, lookup func(string) (string, bool)) *Env {
	if lookup == nil {
		lookup = noEnv
	}
	return &Env{dotenvPath: dotenvPath, dotenv: dotenv, lookup: lookup}
}

// Lookup returns the value of name and whether it is set (non-empty).
func (e *Env) Lookup(name string) (string, bool) {
	if e == nil {
		return "", false
	}
	if v, ok := e.dotenv[name]; ok {
		return v, v != ""
	}
	if v, ok := e.lookup(name); ok && v != "" {
		return v, true
	}
	return "", false
}

// Source tells where a set variable comes from: ".env" (the dotenv file, whatever its
// name), "env" (the process environment), or "" when it is unset.
func (e *Env) Source(name string) string {
	if e == nil {
		return ""
	}
	if v, ok := e.dotenv[name]; ok {
		if v != "" {
			return ".env"
		}
		return ""
	}
	if v, ok := e.lookup(name); ok && v != "" {
		return "env"
	}
	return ""
}

// DotenvPath is the dotenv file path, for messages such as missing-env.
func (e *Env) DotenvPath() string {
	if e == nil {
		return ""
	}
	return e.dotenvPath
}
