package manifest

// This file implements the dotenv syntax of docs/spec/manifest.md §24.2. Dotenv values only feed
// ${env.*} interpolation (§25); they are never passed to containers by themselves.
//
// Error convention: ParseDotenv returns a *DotenvError whose Error() is the complete
// `<file>:<line>: <reason>` message of §27.2 env-file-syntax.

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// DotenvError is a syntax error in a dotenv file, at a 1-based line.
type DotenvError struct {
	File   string
	Line   int
	Reason string
}

// Error renders the §24.2 form, e.g. `.env:4: expected KEY=VALUE, got "JUST_A_WORD"`.
func (e *DotenvError) Error() string {
	return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Reason
}

// utf8BOM is removed from the start of the file (§24.2 step 1).
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ParseDotenv parses a dotenv file's content (§24.2); name is used in error messages.
// When a key appears more than once the last occurrence wins. The first malformed line
// stops parsing.
func ParseDotenv(name string, data []byte) (map[string]string, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	vars := make(map[string]string)
	for n := 1; len(data) > 0; n++ {
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte{'\n'})
		line := strings.TrimSpace(string(raw))
		if line == "" || line[0] == '#' {
			continue
		}
		key, value, err := parseDotenvLine(line)
		if err != "" {
			return nil, &DotenvError{File: name, Line: n, Reason: err}
		}
		vars[key] = value
	}
	return vars, nil
}

// parseDotenvLine splits one trimmed, non-comment line into key and value, or returns
// the reason it is malformed.
func parseDotenvLine(line string) (key, value, reason string) {
	assignment := line
	if rest, ok := strings.CutPrefix(line, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		assignment = strings.TrimLeft(rest, " \t")
	}
	key, value, ok := strings.Cut(assignment, "=")
	if !ok {
		return "", "", fmt.Sprintf("expected KEY=VALUE, got %s", quote(line))
	}
	key = strings.TrimSpace(key)
	if key == "" {
		return "", "", "empty key"
	}
	return key, dotenvValue(strings.TrimSpace(value)), ""
}

// dotenvValue applies the quoting and comment rules of §24.2 step 5 to a trimmed value.
func dotenvValue(v string) string {
	if v != "" && (v[0] == '"' || v[0] == '\'') {
		if end := strings.IndexByte(v[1:], v[0]); end >= 0 {
			return v[1 : end+1]
		}
		return v
	}
	if i := strings.Index(v, " #"); i >= 0 {
		return strings.TrimSpace(v[:i])
	}
	return v
}
