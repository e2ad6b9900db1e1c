package demo

import "testing"

func TestWrap(t *testing.T) {
	got := wrap("check the endpoint, object, field names and query", 20, "  ")
	want := "check the endpoint,\n  object, field names\n  and query"
	if got != want {
		t.Errorf("wrap = %q; want %q", got, want)
	}
}

func TestClip(t *testing.T) {
	if got := clip("héllo wörld", 6); got != "héllo…" {
		t.Errorf("clip = %q; want %q", got, "héllo…")
	}
	if got := clip("short", 10); got != "short" {
		t.Errorf("clip = %q", got)
	}
}
