package manifest

// This file implements the "did you mean" suggestion of docs/spec/manifest.md §27.3, used for
// unknown fields, kinds and dependency names.

// Suggest returns the "did you mean" candidate of §27.3, or "": the candidate with the
// smallest Levenshtein distance to name, provided the distance is at most 2 (at most 1
// when name has 3 characters or fewer); ties go to the alphabetically first candidate.
// Distances count code points, so a non-ASCII typo costs one edit like any other.
func Suggest(name string, candidates []string) string {
	limit := 2
	a := []rune(name)
	if len(a) <= 3 {
		limit = 1
	}
	best, bestDist := "", limit+1
	for _, c := range candidates {
		d := levenshtein(a, []rune(c), bestDist)
		if d < bestDist || (d == bestDist && best != "" && c < best) {
			best, bestDist = c, d
		}
	}
	if bestDist > limit {
		return ""
	}
	return best
}

// levenshtein returns the edit distance between a and b (insertions, deletions and
// substitutions cost 1). When the lengths alone prove the distance exceeds bound it
// returns bound+1 without computing it.
func levenshtein(a, b []rune, bound int) int {
	if d := len(a) - len(b); d > bound || -d > bound {
		return bound + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
