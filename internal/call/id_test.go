package call

import (
	"sort"
	"testing"
	"time"
)

func TestGenerator_NewSortsByTime(t *testing.T) {
	g := NewGenerator()
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var ids []ID
	for i := range 1000 {
		ids = append(ids, g.New(base.Add(time.Duration(i%7)*time.Millisecond)))
	}
	sorted := append([]ID(nil), ids...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	for i := 1; i < len(sorted); i++ {
		a, _ := sorted[i-1].Time()
		b, _ := sorted[i].Time()
		if b.Before(a) {
			t.Fatalf("ids out of time order: %s (%v) before %s (%v)", sorted[i-1], a, sorted[i], b)
		}
		if sorted[i] == sorted[i-1] {
			t.Fatalf("duplicate id %s", sorted[i])
		}
	}
}

func TestID_TimeRoundTrip(t *testing.T) {
	g := NewGenerator()
	at := time.Date(2031, 5, 6, 7, 8, 9, 123e6, time.UTC)
	id := g.New(at)
	if !id.Valid() {
		t.Fatalf("Valid(%q) = false", id)
	}
	got, err := id.Time()
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(at) {
		t.Errorf("Time() = %v; want %v", got, at)
	}
	if MinID(at) > id || MinID(at.Add(time.Millisecond)) <= id {
		t.Errorf("MinID bounds do not bracket %s: %s, %s", id, MinID(at), MinID(at.Add(time.Millisecond)))
	}
}

func TestID_Invalid(t *testing.T) {
	for _, id := range []ID{"", "short", "0123456789ABCDEFGHJKMNPQRU", "0123456789abcdefghjkmnpqrs"} {
		if id.Valid() {
			t.Errorf("Valid(%q) = true; want false", id)
		}
		if _, err := id.Time(); err == nil && len(id) != 26 {
			t.Errorf("Time(%q) gave no error", id)
		}
	}
}
