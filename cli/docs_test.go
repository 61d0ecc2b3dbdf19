package cli

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite generated files (docs/cli.md, docs/manifest.schema.json)")

// TestDocsInSync keeps docs/cli.md equal to the command definitions.
func TestDocsInSync(t *testing.T) {
	checkGenerated(t, "../docs/cli.md", []byte(cliMarkdown()))
}

// TestSchemaInSync keeps docs/manifest.schema.json equal to manifest.JSONSchema().
func TestSchemaInSync(t *testing.T) {
	checkGenerated(t, "../docs/manifest.schema.json", manifestSchema())
}

func checkGenerated(t *testing.T, path string, want []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with go test ./cli -run 'TestDocsInSync|TestSchemaInSync' -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s is out of date; regenerate with go test ./cli -run 'TestDocsInSync|TestSchemaInSync' -update", path)
	}
}
