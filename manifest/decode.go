package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MaxManifestBytes bounds the size of a manifest. Real manifests are a few kilobytes; the
// bound keeps a huge or hostile file from costing seconds of parsing.
const MaxManifestBytes = 1 << 20

// maxAliasExpansion is the alias expansion bound of §1.3.
const maxAliasExpansion = 10000

// Decode runs the validation phases 1-4, 6 (without LSH collisions) and 7 on the bytes of
// a manifest. file is the name shown in diagnostics; dir is the manifest directory, used
// by the filesystem checks ("" skips them). The manifest is nil when phase 1 failed or
// when the project or resources section is missing or not a mapping; the diagnostics
// then still report every mistake found.
func Decode(file, dir string, data []byte) (*Manifest, Diagnostics) {
	d := &decoder{file: file}
	root, ok := d.parse(data)
	if !ok {
		return nil, d.diags
	}
	m := &Manifest{File: file, Dir: dir}
	d.duplicateKeys(root.y, "", "")
	ok, readable := d.top(m, root)
	if ok {
		v := &validator{decoder: d, m: m}
		v.run()
	}
	d.diags.Sort()
	if !readable {
		return nil, d.diags
	}
	return m, d.diags
}

// parse is phase 1: size, UTF-8, YAML syntax, one document, non-empty, alias bound. It
// reports exactly one error when it fails.
func (d *decoder) parse(data []byte) (root node, ok bool) {
	if len(data) > MaxManifestBytes {
		d.errorf("manifest-unreadable", "", "", Pos{}, "cannot read manifest %s: it is larger than the %d-byte limit",
			d.file, MaxManifestBytes)
		return node{}, false
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		d.errorf("not-utf8", "", "", Pos{}, "%s: manifest is not valid UTF-8 (byte offset %d)", d.file, invalidOffset(data))
		return node{}, false
	}
	docs, err := parseDocuments(data)
	switch {
	case err != nil:
		line, msg := yamlError(err)
		if line == 0 { // no location: name the file in the message instead (§27.1)
			msg = d.file + ": invalid YAML: " + msg
		} else {
			msg = "invalid YAML: " + msg
		}
		d.errorf("yaml-syntax", "", "", Pos{line, 1}, "%s", msg)
		return node{}, false
	case len(docs) > 1:
		d.errorf("multiple-documents", "", "", Pos{}, "%s: a manifest holds exactly one YAML document", d.file)
		return node{}, false
	case len(docs) == 0 || len(docs[0].Content) == 0 || isNull(reach(docs[0].Content[0], Pos{})):
		d.errorf("empty-manifest", "", "", Pos{}, "%s: manifest is empty", d.file)
		return node{}, false
	}
	// Aliases are written with '*': without one there is nothing to expand.
	if !bytes.ContainsRune(data, '*') {
		return reach(docs[0].Content[0], Pos{}), true
	}
	if at, msg := checkExpansion(docs[0]); msg != "" {
		d.errorf("yaml-syntax", "", "", at, "invalid YAML: %s", msg)
		return node{}, false
	}
	return reach(docs[0].Content[0], Pos{}), true
}

// parseDocuments parses up to two documents; yaml.v3 panics on some inputs, which become
// syntax errors here because bad input must never crash lsctl.
func parseDocuments(data []byte) (docs []*yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			docs, err = nil, fmt.Errorf("yaml: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for len(docs) < 2 {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return nil, err
		}
		docs = append(docs, &n)
	}
	return docs, nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// yamlError splits yaml.v3's "yaml: line N: msg" into a line and a message.
func yamlError(err error) (int, string) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return line, msg[len(m[0]):]
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}

// invalidOffset is the byte offset of the first invalid UTF-8 sequence.
func invalidOffset(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(data)
}

// checkExpansion rejects documents whose aliases would expand to more than
// maxAliasExpansion nodes (§1.3), without expanding anything: sizes are memoised per node.
func checkExpansion(doc *yaml.Node) (Pos, string) {
	e := expansion{memo: map[*yaml.Node]int{}, busy: map[*yaml.Node]bool{}}
	total := e.size(doc)
	if e.msg != "" {
		return e.at, e.msg
	}
	if total-e.distinct > maxAliasExpansion {
		return e.firstAlias, fmt.Sprintf("too many aliases: expanding them would exceed %d nodes", maxAliasExpansion)
	}
	return Pos{}, ""
}

type expansion struct {
	memo       map[*yaml.Node]int
	busy       map[*yaml.Node]bool
	distinct   int
	firstAlias Pos
	at         Pos
	msg        string
}

// expansionCap keeps the saturating sizes far from integer overflow.
const expansionCap = 1 << 40

func (e *expansion) size(y *yaml.Node) int {
	if y == nil || e.msg != "" {
		return 0
	}
	if n, ok := e.memo[y]; ok {
		return n
	}
	if e.busy[y] {
		e.at, e.msg = Pos{y.Line, y.Column}, "an alias refers to a node that contains it"
		return 0
	}
	e.busy[y] = true
	n := 1
	if y.Kind == yaml.AliasNode {
		if e.firstAlias.IsZero() {
			e.firstAlias = Pos{y.Line, y.Column}
		}
		n = e.size(y.Alias)
	} else {
		e.distinct++
		for _, c := range y.Content {
			n = min(n+e.size(c), expansionCap)
		}
	}
	delete(e.busy, y)
	e.memo[y] = n
	return n
}
