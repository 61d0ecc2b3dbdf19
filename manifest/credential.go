package manifest

// This file implements the credential percent-encoding of docs/spec/manifest.md §20, applied to
// user, password and database inside the postgres and redis url outputs (§12).

// EncodeCredential percent-encodes a URL credential (§20): RFC 3986 unreserved bytes
// (A-Z a-z 0-9 - . _ ~) are copied, every other byte of the UTF-8 encoding becomes %XX
// with upper-case hex digits. Encoding everything else, including sub-delimiters that
// RFC 3986 would allow in userinfo, keeps the result safe for every URL parser.
func EncodeCredential(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isUnreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			out = append(out, c)
			continue
		}
		out = append(out, '%', hex[c>>4], hex[c&0xf])
	}
	return string(out)
}

// isUnreserved reports whether c is an RFC 3986 unreserved character.
func isUnreserved(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~'
}
