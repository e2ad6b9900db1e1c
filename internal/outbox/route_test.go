package outbox_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/outbox"
)

func TestRouter(t *testing.T) {
	var sent []string
	s := outbox.SenderFunc(func(_ context.Context, e outbox.Entry) (outbox.Result, error) {
		sent = append(sent, e.ID)
		return outbox.Result{Status: 200, Class: fault.OK}, nil
	})
	r := outbox.NewRouter()
	r.Add("crm", s, 1) // one write a second

	if _, err := r.Send(t.Context(), outbox.Entry{ID: "a", Upstream: "crm"}); err != nil {
		t.Fatalf("first send: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := r.Send(ctx, outbox.Entry{ID: "b", Upstream: "crm"})
	var held *outbox.HeldError
	if !errors.As(err, &held) || held.Class != fault.RateLimit || held.RetryIn <= 0 || held.RetryIn > time.Second {
		t.Fatalf("second send within the same second under a 100ms deadline: %v; want a HeldError for the rate", err)
	}
	_, err = r.Send(t.Context(), outbox.Entry{ID: "c", Upstream: "gone"})
	if !errors.As(err, &held) || held.Class != fault.Parameter {
		t.Fatalf("unknown upstream: %v; want a HeldError", err)
	}
	if len(sent) != 1 || sent[0] != "a" {
		t.Fatalf("sent %v; want only a", sent)
	}
}

// TestWorker_HeldIsNotAnAttempt: an entry the sender held back is put back
// without counting an attempt.
func TestWorker_HeldIsNotAnAttempt(t *testing.T) {
	db := openStore(t)
	enqueue(t, db, "e1", "k", base)
	clk := newClock()
	s := outbox.SenderFunc(func(context.Context, outbox.Entry) (outbox.Result, error) {
		return outbox.Result{}, &outbox.HeldError{RetryIn: time.Minute, Class: fault.RateLimit, Reason: "paced"}
	})
	w := outbox.NewWorker(db, s, outbox.Options{Now: clk.Now, MaxAttempts: 1})
	drain(t, w)
	e := getEntry(t, db, "e1")
	if e.State != outbox.Pending || e.Attempts != 0 || e.LastClass != fault.RateLimit || !e.NextAt.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("entry %s, attempts %d, last %s, next %v; want pending, 0, rate_limit, in 1m", e.State, e.Attempts, e.LastClass, e.NextAt)
	}
	if got := w.Stats(); got.Postponed != 1 || got.Dead != 0 {
		t.Fatalf("stats %+v; want one postponed, none dead (MaxAttempts 1 must not count a hold)", got)
	}
}
