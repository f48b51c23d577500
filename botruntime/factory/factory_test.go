package factory

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

func TestSet(t *testing.T) {
	var s Set[func() int]
	s.Kind = "thing"
	if s.Has("a") || len(s.Names()) != 0 {
		t.Fatal("zero Set is not empty")
	}
	s.Register("b", func() int { return 2 })
	s.Register("a", func() int { return 1 })
	if f, ok := s.Get("a"); !ok || f() != 1 {
		t.Fatalf("Get(a): found %v", ok)
	}
	if _, ok := s.Get("c"); ok {
		t.Fatal("Get(c) found an unregistered type")
	}
	if got := s.Names(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("Names() = %v", got)
	}
}

func TestRegisterPanics(t *testing.T) {
	tests := []struct {
		name, reg, want string
	}{
		{"duplicate", "a", `thing: type "a" registered twice`},
		{"empty", "", "thing: Register with an empty type name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Set[int]{Kind: "thing"}
			s.Register("a", 1)
			defer func() {
				if got := fmt.Sprint(recover()); got != tt.want {
					t.Fatalf("panic %q, want %q", got, tt.want)
				}
			}()
			s.Register(tt.reg, 2)
		})
	}
}

func TestConcurrent(t *testing.T) {
	var s Set[int]
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() { defer wg.Done(); s.Register(fmt.Sprint(i), i) }()
		go func() { defer wg.Done(); _ = s.Names(); _ = s.Has("3") }()
	}
	wg.Wait()
	if n := len(s.Names()); n != 8 {
		t.Fatalf("%d names, want 8", n)
	}
}
