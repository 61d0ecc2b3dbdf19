package manifest

import "testing"

// TestSuggest covers §27.3 and the suggestions of checklist items 14, 18, 19 and 76.
func TestSuggest(t *testing.T) {
	kinds := []string{"postgres", "redis", "container", "dockerfile"}
	tests := []struct {
		name       string
		candidates []string
		want       string
	}{
		{"postgress", kinds, "postgres"}, // §29 item 14
		{"resource", []string{"lightshuttle", "project", "resources", "dashboard", "observability", "export", "hooks"}, "resources"}, // §29 item 18
		{"imgae", []string{"image", "ports", "env", "secrets", "volumes"}, "image"},                                                  // §29 item 19
		{"dbx", []string{"db", "api", "web"}, "db"},                                                                                  // §29 item 76
		{"mysql", kinds, ""},
		{"rediss", kinds, "redis"},
		{"xyz", []string{"abc"}, ""},
		{"ab", []string{"abcd"}, ""},                  // short names allow distance 1 only
		{"abc", []string{"abd"}, "abd"},               // distance 1 on a 3-character name
		{"abcd", []string{"abxy"}, "abxy"},            // distance 2 on a 4-character name
		{"abcd", []string{"axyz"}, ""},                // distance 3
		{"cat", []string{"cut", "bat", "cap"}, "bat"}, // ties: alphabetically first
		{"same", []string{"same", "sane"}, "same"},
		{"x", nil, ""},
		{"élève", []string{"eleve"}, "eleve"}, // code points, not bytes
	}
	for _, tt := range tests {
		if got := Suggest(tt.name, tt.candidates); got != tt.want {
			t.Errorf("Suggest(%q, %v) = %q; want %q", tt.name, tt.candidates, got, tt.want)
		}
	}
}

// TestLevenshtein checks the distance itself.
func TestLevenshtein(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2}, {"abc", "abc", 0},
	}
	for _, tt := range tests {
		if got := levenshtein([]rune(tt.a), []rune(tt.b), 100); got != tt.want {
			t.Errorf("levenshtein(%q, %q) = %d; want %d", tt.a, tt.b, got, tt.want)
		}
	}
	if got := levenshtein([]rune("a"), []rune("abcdef"), 2); got != 3 {
		t.Errorf("levenshtein with a bound 2 on lengths 1 and 6 = %d; want 3", got)
	}
}
