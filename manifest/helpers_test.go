package manifest

import (
	"strings"
	"testing"
)

// decodeYAML decodes a manifest given as text (tabs are not allowed in YAML indentation,
// so tests write plain spaces).
func decodeYAML(t *testing.T, src string) (*Manifest, Diagnostics) {
	t.Helper()
	return Decode("lightshuttle.yml", "", []byte(src))
}

// withCode returns the diagnostics with the given code.
func withCode(ds Diagnostics, code string) Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Code == code {
			out = append(out, d)
		}
	}
	return out
}

// expectCode fails unless exactly the listed codes are reported, each once, in any
// order, and returns the diagnostic of the first one.
func expectCodes(t *testing.T, ds Diagnostics, codes ...string) Diagnostic {
	t.Helper()
	var got []string
	for _, d := range ds {
		got = append(got, d.Code)
	}
	if strings.Join(sortedCodes(got), ",") != strings.Join(sortedCodes(codes), ",") {
		t.Fatalf("codes = %v, want %v\n%s", got, codes, ds.Error())
	}
	if len(codes) == 0 {
		return Diagnostic{}
	}
	return withCode(ds, codes[0])[0]
}

func sortedCodes(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// wrap builds a manifest with project shop and the given resources section body
// (indented by four spaces under resources).
func shopWith(resources string) string {
	return "project:\n  name: shop\nresources:\n" + resources
}
