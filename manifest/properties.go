package manifest

// Properties returns the output property names of a kind (§12), in the order lsctl lists
// them; nil for an unknown kind.
func Properties(k Kind) []string {
	switch k {
	case KindPostgres:
		return []string{"host", "port", "user", "password", "database", "url"}
	case KindRedis:
		return []string{"host", "port", "password", "url"}
	case KindContainer, KindDockerfile:
		return []string{"host", "ports"}
	}
	return nil
}

// Resource returns the non-reserved resource called name, or nil.
func (m *Manifest) Resource(name string) *Resource {
	for _, r := range m.Resources {
		if r.Name == name {
			return r
		}
	}
	return nil
}
