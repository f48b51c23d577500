// Package factory provides Set, a concurrency-safe table of factories by
// type name: the registries of connector and task types are Sets, filled
// from init functions the way database/sql registers drivers.
package factory

import (
	"fmt"
	"sort"
	"sync"
)

// Set maps type names to factories of type F. The zero value is an empty
// set ready for use; a Set must not be copied after first use.
type Set[F any] struct {
	// Kind names what the set holds ("connector", "task") in panics.
	Kind string

	mu sync.RWMutex
	m  map[string]F
}

// Register adds f under name. Call it from init. It panics on an empty
// name or a name already registered: both are programming errors that
// must fail at start-up, not when a compose file first names the type.
func (s *Set[F]) Register(name string, f F) {
	if name == "" {
		panic(fmt.Sprintf("%s: Register with an empty type name", s.Kind))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.m[name]; dup {
		panic(fmt.Sprintf("%s: type %q registered twice", s.Kind, name))
	}
	if s.m == nil {
		s.m = map[string]F{}
	}
	s.m[name] = f
}

// Get returns the factory registered under name.
func (s *Set[F]) Get(name string) (F, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, ok := s.m[name]
	return f, ok
}

// Has reports whether name is registered.
func (s *Set[F]) Has(name string) bool {
	_, ok := s.Get(name)
	return ok
}

// Names returns the registered type names, sorted.
func (s *Set[F]) Names() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.m))
	for n := range s.m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
