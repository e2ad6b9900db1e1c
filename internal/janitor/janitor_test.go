package janitor

import (
	"context"
	"testing"
	"time"
)

type fakeStore struct {
	callsBefore, rollupsBefore, quietSince, entriesBefore time.Time
}

func (f *fakeStore) PurgeEntries(_ context.Context, before time.Time) (int64, error) {
	f.entriesBefore = before
	return 0, nil
}

func (f *fakeStore) Purge(_ context.Context, c, r time.Time) (int64, int64, error) {
	f.callsBefore, f.rollupsBefore = c, r
	return 0, 0, nil
}

func (f *fakeStore) ResolveQuiet(_ context.Context, q, _ time.Time) ([]string, error) {
	f.quietSince = q
	return nil, nil
}

func TestJanitor_SweepCutoffs(t *testing.T) {
	s := &fakeStore{}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	New(s, Options{CallAge: 7 * 24 * time.Hour, RollupAge: 400 * 24 * time.Hour, ResolveAfter: 30 * time.Minute, Queue: s, QueueAge: 48 * time.Hour}).Sweep(context.Background(), now)
	if want := now.AddDate(0, 0, -7); !s.callsBefore.Equal(want) {
		t.Errorf("calls cutoff = %v; want %v", s.callsBefore, want)
	}
	if want := now.AddDate(0, 0, -400); !s.rollupsBefore.Equal(want) {
		t.Errorf("rollups cutoff = %v; want %v", s.rollupsBefore, want)
	}
	if want := now.Add(-48 * time.Hour); !s.entriesBefore.Equal(want) {
		t.Errorf("queue entries cutoff = %v; want %v", s.entriesBefore, want)
	}
	if want := now.Add(-30 * time.Minute); !s.quietSince.Equal(want) {
		t.Errorf("quiet cutoff = %v; want %v", s.quietSince, want)
	}
}
