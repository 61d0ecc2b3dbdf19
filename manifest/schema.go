package manifest

import _ "embed"

//go:embed schema.json
var schemaJSON []byte

// JSONSchema returns a JSON Schema (draft 2020-12) of the manifest, for editors. It
// describes shapes and grammars that a schema can express; lsctl's validation (§26) is
// the authority and checks more (references, cycles, files).
func JSONSchema() []byte { return append([]byte(nil), schemaJSON...) }
