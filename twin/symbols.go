package twin

// symbols interns strings that repeat across a city (property keys, string values,
// kinds, metric names) so that each entity stores a 4-byte id instead of a
// 16-byte header plus bytes. Interned strings live as long as the store.
// Guarded by Store.mu: interned only while applying, read under the read lock.
type symbols struct {
	ids   map[string]uint32
	names []string
}

func newSymbols() *symbols {
	return &symbols{ids: make(map[string]uint32)}
}

func (s *symbols) intern(name string) uint32 {
	if id, ok := s.ids[name]; ok {
		return id
	}
	id := uint32(len(s.names))
	s.names = append(s.names, name)
	s.ids[name] = id
	return id
}

func (s *symbols) lookup(name string) (uint32, bool) {
	id, ok := s.ids[name]
	return id, ok
}

func (s *symbols) name(id uint32) string { return s.names[id] }
