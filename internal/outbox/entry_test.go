package outbox

import "testing"

func TestState_Valid(t *testing.T) {
	tests := []struct {
		name  string
		state State
		want  bool
	}{
		{"pending", Pending, true},
		{"inflight", Inflight, true},
		{"delivered", Delivered, true},
		{"dead", Dead, true},
		{"empty", "", false},
		{"other", "done", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.state.Valid(); got != tc.want {
				t.Errorf("State(%q).Valid() = %v; want %v", tc.state, got, tc.want)
			}
		})
	}
}
