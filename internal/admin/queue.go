package admin

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/outbox"
)

// The write queue endpoints let an operator see what is waiting or dead,
// send dead writes again and give up on writes that must not reach the
// CRM. They are documented in docs/admin-api.md.

const (
	// maxDropReason bounds a drop reason: it is stored with the entry for
	// audit and shown in listings, so it is a sentence, not a document.
	maxDropReason = 500
	// maxReplayIDs bounds the ids of one replay request; a larger
	// selection is made by upstream instead.
	maxReplayIDs = 1000
	// maxQueueBody bounds a request body, which is a small JSON object.
	maxQueueBody = 1 << 20
	// storePage is the largest page outbox.Admin.ListEntries returns.
	storePage = 1000
)

// validStates lists the states for messages.
const validStates = "pending, inflight, delivered or dead"

// withQueue answers 404 when crmguard runs without a queue, so that the
// handlers can use s.opts.Queue.
func (s *Server) withQueue(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.opts.Queue == nil {
			writeError(w, http.StatusNotFound, "no queue: this crmguard runs without a durable write queue, so there are no entries to list, replay or drop")
			return
		}
		h(w, r)
	}
}

func (s *Server) listEntries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := outbox.Filter{
		State: outbox.State(q.Get("state")), Upstream: q.Get("upstream"),
		RecordKey: q.Get("record_key"), After: q.Get("after"),
	}
	if f.State != "" && !f.State.Valid() {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("state: %q is not a queue state; want %s", f.State, validStates))
		return
	}
	limit, err := parseLimit(q.Get("limit"), storePage)
	if err != nil {
		writeError(w, http.StatusBadRequest, "limit: "+err.Error())
		return
	}
	if limit == 0 {
		limit = 100
	}
	es, next, err := s.entryPage(r.Context(), f, limit)
	if err != nil {
		s.internal(w, "listing queue entries", err)
		return
	}
	out := struct {
		Entries []entryJSON `json:"entries"`
		Next    string      `json:"next"`
	}{Entries: make([]entryJSON, 0, len(es)), Next: next}
	for _, e := range es {
		out.Entries = append(out.Entries, toEntryJSON(e, false))
	}
	writeJSON(w, http.StatusOK, out)
}

// entryPage returns up to limit (at most storePage) entries f selects and
// the ID to pass as after for the next page, "" when there are no more.
// It asks for one entry more than limit to know whether there are more;
// when the store caps that request, a full page costs a second query of
// one row.
func (s *Server) entryPage(ctx context.Context, f outbox.Filter, limit int) ([]outbox.Entry, string, error) {
	f.Limit = limit + 1
	es, err := s.opts.Queue.ListEntries(ctx, f)
	switch {
	case err != nil:
		return nil, "", err
	case len(es) > limit:
		return es[:limit], es[limit-1].ID, nil
	case len(es) < limit:
		return es, "", nil
	}
	f.After, f.Limit = es[len(es)-1].ID, 1
	more, err := s.opts.Queue.ListEntries(ctx, f)
	if err != nil {
		return nil, "", err
	}
	if len(more) == 0 {
		return es, "", nil
	}
	return es, f.After, nil
}

func (s *Server) getEntry(w http.ResponseWriter, r *http.Request) {
	s.writeEntry(r.Context(), w, r.PathValue("id"))
}

// writeEntry answers with the entry id, in full, or 404.
func (s *Server) writeEntry(ctx context.Context, w http.ResponseWriter, id string) {
	e, err := s.opts.Queue.GetEntry(ctx, id)
	switch {
	case errors.Is(err, outbox.ErrNotFound):
		writeError(w, http.StatusNotFound, noEntry(id))
	case err != nil:
		s.internal(w, "reading queue entry", err)
	default:
		writeJSON(w, http.StatusOK, toEntryJSON(e, true))
	}
}

func noEntry(id string) string {
	return fmt.Sprintf("no queue entry %q; GET /api/v1/queue lists the entries", id)
}

func (s *Server) replayEntry(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := s.opts.Queue.Replay(r.Context(), id, s.opts.Now())
	switch {
	case errors.Is(err, outbox.ErrNotFound):
		writeError(w, http.StatusNotFound, noEntry(id))
		return
	case errors.Is(err, outbox.ErrWrongState):
		writeError(w, http.StatusConflict, s.wrongState(r.Context(), id, "replay"))
		return
	case err != nil:
		s.internal(w, "replaying queue entry", err)
		return
	}
	s.opts.Logger.Info("queue entry replayed through the admin API", "entry", id)
	s.writeEntry(r.Context(), w, id)
}

func (s *Server) dropEntry(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var req struct {
		Reason string `json:"reason"`
	}
	if err := decodeBody(w, r, &req, `{"reason": "duplicate of ticket 4711"}`); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	req.Reason = strings.TrimSpace(req.Reason)
	switch n := utf8.RuneCountInString(req.Reason); {
	case n == 0:
		writeError(w, http.StatusBadRequest, `reason: required: say why this write must not reach the CRM, e.g. {"reason": "duplicate of ticket 4711"}; it is kept with the entry for audit`)
		return
	case n > maxDropReason:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("reason: %d characters; keep it to %d and put details in your ticket", n, maxDropReason))
		return
	}
	err := s.opts.Queue.Drop(r.Context(), id, req.Reason, s.opts.Now())
	switch {
	case errors.Is(err, outbox.ErrNotFound):
		writeError(w, http.StatusNotFound, noEntry(id))
		return
	case errors.Is(err, outbox.ErrWrongState):
		writeError(w, http.StatusConflict, s.wrongState(r.Context(), id, "drop"))
		return
	case err != nil:
		s.internal(w, "dropping queue entry", err)
		return
	}
	s.opts.Logger.Info("queue entry dropped through the admin API", "entry", id, "reason", req.Reason)
	s.writeEntry(r.Context(), w, id)
}

// wrongState explains why the entry id cannot be replayed or dropped
// (action), reading its current state.
func (s *Server) wrongState(ctx context.Context, id, action string) string {
	e, err := s.opts.Queue.GetEntry(ctx, id)
	if err != nil {
		return fmt.Sprintf("queue entry %s cannot be %s in its current state", id, past(action))
	}
	return fmt.Sprintf("queue entry %s cannot be %s: %s", id, past(action), stateReason(e, action))
}

func past(action string) string {
	if action == "drop" {
		return "dropped"
	}
	return action + "ed"
}

// stateReason says why e, in its current state, is not eligible for
// action: only dead entries are replayed and delivered ones cannot be
// dropped.
func stateReason(e outbox.Entry, action string) string {
	switch {
	case e.State == outbox.Delivered && action == "drop":
		return "it was delivered at " + stampString(e.DeliveredAt) + ", so there is nothing left to drop"
	case e.State == outbox.Delivered:
		return "it was delivered at " + stampString(e.DeliveredAt) + "; replaying it would send the write to the CRM a second time"
	default:
		return "it is " + string(e.State) + ", not dead; only dead entries are replayed, and this one is still queued for delivery"
	}
}

// replayRequest selects the entries POST /api/v1/queue/replay replays.
// The selectors combine: an entry must match every one given.
type replayRequest struct {
	// IDs names the entries; a named entry is replayed even if an
	// operator dropped it.
	IDs []string `json:"ids"`
	// State may only be "dead", the one state that can be replayed; it is
	// accepted so that a request reads as what it selects.
	State          string `json:"state"`
	Upstream       string `json:"upstream"`
	ReasonContains string `json:"reason_contains"`
	// IncludeDropped also replays entries an operator dropped when they
	// are selected by upstream or all rather than by ID: a drop is a
	// decision, which a bulk replay should not undo by accident.
	IncludeDropped bool `json:"include_dropped"`
	// All must be set to select every dead entry without ids or upstream,
	// so that an empty or mistyped request replays nothing.
	All bool `json:"all"`
}

type skipJSON struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

func (s *Server) replayEntries(w http.ResponseWriter, r *http.Request) {
	var req replayRequest
	if err := decodeBody(w, r, &req, `{"upstream": "sf", "reason_contains": "timeout"} or {"ids": ["…"]}`); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	switch {
	case req.State != "" && outbox.State(req.State) != outbox.Dead:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("state: %q cannot be replayed; only dead entries can: leave state out or set it to dead", req.State))
		return
	case len(req.IDs) == 0 && req.Upstream == "" && !req.All:
		writeError(w, http.StatusBadRequest, `nothing selected: give "ids", or "upstream" (with "reason_contains" to narrow it), or "all": true to replay every dead entry`)
		return
	case len(req.IDs) > maxReplayIDs:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("ids: %d given; replay at most %d per request, or select by upstream", len(req.IDs), maxReplayIDs))
		return
	}
	out := struct {
		Replayed int        `json:"replayed"`
		Skipped  []skipJSON `json:"skipped"`
	}{Skipped: []skipJSON{}}
	replay := func(e outbox.Entry) error {
		if reason := req.mismatch(e); reason != "" {
			out.Skipped = append(out.Skipped, skipJSON{e.ID, reason})
			return nil
		}
		err := s.opts.Queue.Replay(r.Context(), e.ID, s.opts.Now())
		switch {
		case errors.Is(err, outbox.ErrNotFound):
			out.Skipped = append(out.Skipped, skipJSON{e.ID, "not found"})
		case errors.Is(err, outbox.ErrWrongState):
			// Replayed or delivered by someone else since it was read.
			out.Skipped = append(out.Skipped, skipJSON{e.ID, "no longer dead"})
		case err != nil:
			return err
		default:
			out.Replayed++
		}
		return nil
	}
	var err error
	if len(req.IDs) > 0 {
		err = s.replayIDs(r.Context(), req, replay, &out.Skipped)
	} else {
		err = s.replaySelected(r.Context(), req, replay, &out.Skipped)
	}
	if err != nil {
		s.opts.Logger.Error("admin API: replaying queue entries failed", "err", err, "replayed", out.Replayed)
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("replaying queue entries failed after %d were replayed; see crmguard's log", out.Replayed))
		return
	}
	s.opts.Logger.Info("queue entries replayed through the admin API",
		"replayed", out.Replayed, "skipped", len(out.Skipped), "ids", len(req.IDs), "upstream", req.Upstream, "reason_contains", req.ReasonContains)
	writeJSON(w, http.StatusOK, out)
}

// replayIDs offers each entry req names, once, to replay.
func (s *Server) replayIDs(ctx context.Context, req replayRequest, replay func(outbox.Entry) error, skipped *[]skipJSON) error {
	seen := make(map[string]bool, len(req.IDs))
	for _, id := range req.IDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		e, err := s.opts.Queue.GetEntry(ctx, id)
		if errors.Is(err, outbox.ErrNotFound) {
			*skipped = append(*skipped, skipJSON{id, "not found"})
			continue
		}
		if err != nil {
			return err
		}
		if err := replay(e); err != nil {
			return err
		}
	}
	return nil
}

// replaySelected offers every dead entry of req's upstream (or of all
// upstreams) to replay, page by page; entries whose dead reason does not
// match are not selected, and dropped ones are skipped unless req says to
// include them.
func (s *Server) replaySelected(ctx context.Context, req replayRequest, replay func(outbox.Entry) error, skipped *[]skipJSON) error {
	f := outbox.Filter{State: outbox.Dead, Upstream: req.Upstream, Limit: storePage}
	for {
		es, err := s.opts.Queue.ListEntries(ctx, f)
		if err != nil {
			return err
		}
		for _, e := range es {
			if !req.reasonMatches(e) {
				continue
			}
			if strings.HasPrefix(e.DeadReason, outbox.DropPrefix) && !req.IncludeDropped {
				*skipped = append(*skipped, skipJSON{e.ID, `dropped by an operator; replay it by id or set "include_dropped": true`})
				continue
			}
			if err := replay(e); err != nil {
				return err
			}
		}
		if len(es) < storePage {
			return ctx.Err()
		}
		f.After = es[len(es)-1].ID
	}
}

// mismatch says why e, read by ID, is not replayed, or "" if it is.
func (req replayRequest) mismatch(e outbox.Entry) string {
	switch {
	case req.Upstream != "" && e.Upstream != req.Upstream:
		return fmt.Sprintf("upstream is %q, not %q", e.Upstream, req.Upstream)
	case e.State != outbox.Dead:
		return "state is " + string(e.State) + ", not dead"
	case !req.reasonMatches(e):
		return fmt.Sprintf("dead reason does not contain %q", req.ReasonContains)
	}
	return ""
}

// reasonMatches compares case-insensitively: operators type "timeout"
// for a reason the worker wrote as "Timeout".
func (req replayRequest) reasonMatches(e outbox.Entry) bool {
	return req.ReasonContains == "" || strings.Contains(strings.ToLower(e.DeadReason), strings.ToLower(req.ReasonContains))
}

func (s *Server) queueStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.opts.Queue.QueueStats(r.Context(), s.opts.Now())
	if err != nil {
		s.internal(w, "counting queue entries", err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Pending          int64   `json:"pending"`
		Inflight         int64   `json:"inflight"`
		Depth            int64   `json:"depth"`
		Dead             int64   `json:"dead"`
		Delivered        int64   `json:"delivered"`
		OldestAgeSeconds float64 `json:"oldest_age_seconds"`
	}{st.Pending, st.Inflight, st.Depth, st.Dead, st.Delivered, st.OldestAge.Seconds()})
}

// decodeBody reads r's body, one JSON object with only known keys, into
// v. A mistyped key is an error rather than ignored, because ignoring it
// could widen a replay's selection. example shows a valid body.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, example string) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxQueueBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		return errors.New("request body: empty; want a JSON object such as " + example)
	}
	if err != nil {
		return fmt.Errorf("request body: %v; want a JSON object such as %s", err, example)
	}
	if dec.More() {
		return errors.New("request body: more than one JSON value; want one object such as " + example)
	}
	return nil
}

// entryJSON is a queue entry as the API shows it. Sealed is never shown:
// the store does not return it, and it holds credentials.
type entryJSON struct {
	ID             string `json:"id"`
	CallID         string `json:"call_id"`
	Upstream       string `json:"upstream"`
	Method         string `json:"method"`
	Path           string `json:"path"`
	RecordKey      string `json:"record_key"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Idempotent says whether sending the write again cannot apply it
	// twice, which tells an operator whether a replay is safe.
	Idempotent bool   `json:"idempotent"`
	State      string `json:"state"`
	Attempts   int    `json:"attempts"`
	NextAt     stamp  `json:"next_at,omitzero"`
	CreatedAt  stamp  `json:"created_at,omitzero"`
	// The last failed attempt, left out while there has been none.
	LastClass   string `json:"last_class,omitempty"`
	LastStatus  int    `json:"last_status,omitempty"`
	LastError   string `json:"last_error,omitempty"`
	DeadReason  string `json:"dead_reason,omitempty"`
	DeadAt      stamp  `json:"dead_at,omitzero"`
	DeliveredAt stamp  `json:"delivered_at,omitzero"`
	// Headers and Body only in a single entry, and only while stored
	// (they are cleared on delivery). Body is text when it is valid
	// UTF-8, else base64 with BodyBase64 set.
	Headers    json.RawMessage `json:"headers,omitempty"`
	Body       *string         `json:"body,omitempty"`
	BodyBase64 bool            `json:"body_base64,omitempty"`
}

func toEntryJSON(e outbox.Entry, full bool) entryJSON {
	j := entryJSON{
		ID: e.ID, CallID: e.CallID, Upstream: e.Upstream, Method: e.Method, Path: e.Path,
		RecordKey: e.RecordKey, IdempotencyKey: e.IdempotencyKey, Idempotent: e.Idempotent, State: string(e.State), Attempts: e.Attempts,
		NextAt: stamp(e.NextAt), CreatedAt: stamp(e.CreatedAt),
		LastStatus: e.LastStatus, LastError: e.LastError,
		DeadReason: e.DeadReason, DeadAt: stamp(e.DeadAt), DeliveredAt: stamp(e.DeliveredAt),
	}
	if e.LastClass != fault.OK || e.LastStatus != 0 || e.LastError != "" {
		j.LastClass = e.LastClass.String()
	}
	if !full {
		return j
	}
	// The gateway stores the headers as the JSON of an http.Header; bytes
	// that are not a JSON object would corrupt the answer, so they are
	// left out.
	if h := bytes.TrimSpace(e.Header); len(h) > 0 && h[0] == '{' && json.Valid(h) {
		j.Headers = h
	}
	if len(e.Body) > 0 {
		b := string(e.Body)
		if !utf8.Valid(e.Body) {
			b, j.BodyBase64 = base64.StdEncoding.EncodeToString(e.Body), true
		}
		j.Body = &b
	}
	return j
}

// stamp is a time in the queue's JSON: RFC 3339 in UTC with milliseconds,
// left out when zero (omitzero calls IsZero).
type stamp time.Time

const stampLayout = "2006-01-02T15:04:05.000Z07:00"

func (t stamp) IsZero() bool { return time.Time(t).IsZero() }

func (t stamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(stampLayout) + `"`), nil
}

func stampString(t time.Time) string { return t.UTC().Format(stampLayout) }
