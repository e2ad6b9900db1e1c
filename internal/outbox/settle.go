package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/retry"
	"github.com/crmguard/crmguard/internal/upstream"
)

// settle records what became of one attempt to deliver e, as Send
// reported it:
//
//   - delivered (class ok): Ack;
//   - held back by an open breaker, an exhausted or reserved quota, or the
//     replay rate: Postpone to the time the error names, which is not an
//     attempt;
//   - a failure worth sending again (see replayable): Reschedule after
//     the backoff or the CRM's Retry-After, whichever is longer, unless it
//     was the last attempt MaxAttempts allows or the entry is older than
//     MaxAge, which dead-letters it;
//   - any other failure: the CRM refused the write, so it is
//     dead-lettered with the reason "<class>: <message>".
func (w *Worker) settle(ctx context.Context, log *slog.Logger, e Entry, res Result, err error) {
	now := w.now()
	if err != nil {
		var (
			open  *upstream.OpenError
			quota *upstream.QuotaError
			held  *HeldError
		)
		switch {
		case errors.As(err, &open):
			w.hold(ctx, log, e, now, open.RetryIn, fault.Unavailable, err)
			return
		case errors.As(err, &quota):
			w.hold(ctx, log, e, now, quota.RetryIn, fault.RateLimit, err)
			return
		case errors.As(err, &held):
			w.hold(ctx, log, e, now, held.RetryIn, held.Class, err)
			return
		}
		res = Result{Class: fault.FromError(err), Message: err.Error()}
		if !res.Class.Failed() {
			res.Class = fault.Unknown // an error is never a delivery
		}
	}
	if !res.Class.Failed() {
		w.ack(ctx, log, e, now)
		return
	}
	failure := describe(res)
	// What OnDead sees if this failure is the last: the entry as the
	// store keeps it has the attempt before's.
	e.LastClass, e.LastStatus, e.LastError = res.Class, res.Status, res.Message
	if !replayable(res.Class, res.Transient) {
		w.kill(ctx, log, e, now, failure)
		return
	}
	if d := decide(e, res); !d.Retry {
		// Worth sending again, but not safe: it may have been applied.
		w.kill(ctx, log, e, now, failure+"; not sent again: "+d.Reason)
		return
	}
	if limit := w.limit(e, now, true); limit != "" {
		w.kill(ctx, log, e, now, limit+"; last failure "+failure)
		return
	}
	delay := max(w.backoff.Delay(e.Attempts+1, w.rand), res.RetryAfter, w.poll)
	w.reschedule(ctx, log, e, now.Add(delay), res.Class, res.Status, res.Message)
}

// replayable reports whether a write that failed with class may succeed
// when sent again later: the classes retry.Decide finds worth retrying,
// with a Conflict only when the dialect marked it transient. Canceled is
// also replayable: only the worker gives up on a replayed write (at the
// end of its lease), which says nothing against the write itself.
//
// Unlike retry.Decide, it does not ask whether a failed write may have
// been applied: the write was queued because it was safe to replay then,
// and the entry's attempts and age bound the replays.
func replayable(class fault.Class, transient bool) bool {
	switch class {
	case fault.Network, fault.Timeout, fault.Unavailable, fault.Server, fault.RateLimit, fault.Canceled:
		return true
	case fault.Conflict:
		return transient
	}
	return false
}

// decide applies the retry safety rule live calls follow (retry.Decide) to
// a replay: a failed write is sent again only if it is worth it and cannot
// apply twice — it never reached the CRM, or it is idempotent. A send the
// worker cut short itself (its lease ran out: Canceled) is judged as a
// broken connection.
func decide(e Entry, res Result) retry.Decision {
	class := res.Class
	if class == fault.Canceled {
		class = fault.Network
	}
	return retry.Decide(retry.Input{Class: class, Method: e.Method, Reached: res.Reached, Idempotent: res.Idempotent, Transient: res.Transient})
}

// limit returns why e may not be tried again at now, or "". attempt says
// whether a real attempt just failed, which counts against MaxAttempts.
func (w *Worker) limit(e Entry, now time.Time, attempt bool) string {
	l := Limits{MaxAttempts: w.maxAttempts, MaxAge: w.maxAge}
	if w.limits != nil {
		u := w.limits(e.Upstream)
		if u.MaxAttempts > 0 {
			l.MaxAttempts = u.MaxAttempts
		}
		if u.MaxAge > 0 {
			l.MaxAge = u.MaxAge
		}
	}
	switch {
	case attempt && e.Attempts+1 >= l.MaxAttempts:
		return fmt.Sprintf("max attempts (%d) reached", l.MaxAttempts)
	case !e.CreatedAt.IsZero() && now.Sub(e.CreatedAt) >= l.MaxAge:
		return fmt.Sprintf("max age (%s) reached", l.MaxAge)
	}
	return ""
}

// describe returns "<class>: <message>" for a failed attempt.
func describe(res Result) string {
	msg := res.Message
	if msg == "" && res.Status != 0 {
		msg = fmt.Sprintf("HTTP %d", res.Status)
	}
	if msg == "" {
		return res.Class.String()
	}
	return res.Class.String() + ": " + msg
}

// hold puts back an entry that was not sent because the upstream holds
// calls back, due when it lets them through again. It is not an attempt,
// so it does not count against MaxAttempts, but MaxAge still applies.
func (w *Worker) hold(ctx context.Context, log *slog.Logger, e Entry, now time.Time, in time.Duration, class fault.Class, err error) {
	if limit := w.limit(e, now, false); limit != "" {
		w.kill(ctx, log, e, now, limit+"; last failure "+class.String()+": "+err.Error())
		return
	}
	next := now.Add(max(in, w.poll))
	if err := w.q.Postpone(ctx, e.ID, w.owner, next, class, err.Error()); err != nil {
		w.failed(log, "postponing", err)
		return
	}
	w.postponed.Add(1)
	log.Debug("outbox entry held back", "class", class.String(), "next", next, "reason", err.Error())
}

func (w *Worker) ack(ctx context.Context, log *slog.Logger, e Entry, now time.Time) {
	if err := w.q.Ack(ctx, e.ID, w.owner, now); err != nil {
		w.failed(log, "acknowledging", err)
		return
	}
	w.delivered.Add(1)
	if w.onDelivered != nil {
		e.State, e.DeliveredAt = Delivered, now
		e.Header, e.Sealed, e.Body = nil, nil, nil
		w.onDelivered(e)
	}
}

func (w *Worker) reschedule(ctx context.Context, log *slog.Logger, e Entry, next time.Time, class fault.Class, status int, msg string) {
	if err := w.q.Reschedule(ctx, e.ID, w.owner, next, class, status, msg); err != nil {
		w.failed(log, "rescheduling", err)
		return
	}
	w.rescheduled.Add(1)
	log.Info("outbox entry rescheduled", "class", class.String(), "status", status, "next", next, "err", msg)
}

func (w *Worker) kill(ctx context.Context, log *slog.Logger, e Entry, now time.Time, reason string) {
	if err := w.q.Kill(ctx, e.ID, w.owner, reason, now); err != nil {
		w.failed(log, "dead-lettering", err)
		return
	}
	w.dead.Add(1)
	log.Warn("outbox entry dead-lettered", "reason", reason)
	if w.onDead != nil {
		e.State, e.DeadReason, e.DeadAt, e.Sealed = Dead, reason, now, nil
		w.onDead(e)
	}
}

// failed logs a queue failure to record an outcome. A lost lease is
// expected (the lease expired and another worker claimed the entry, or an
// operator dropped it) and that owner's outcome stands.
func (w *Worker) failed(log *slog.Logger, op string, err error) {
	if errors.Is(err, ErrLeaseLost) {
		w.leaseLost.Add(1)
		log.Info("outbox lease lost; another owner has the entry", "op", op)
		return
	}
	// The entry stays inflight and is claimed again when its lease
	// expires.
	log.Error("outbox entry outcome not recorded", "op", op, "err", err)
}
