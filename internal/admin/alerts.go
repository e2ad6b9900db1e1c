package admin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/crmguard/crmguard/internal/alert"
	"github.com/crmguard/crmguard/internal/notify"
)

// Alerts reads the alerts and their history, acknowledges them, and
// keeps silences and the notification log.
type Alerts interface {
	ListAlerts(ctx context.Context, state alert.State) ([]alert.Alert, error)
	GetAlert(ctx context.Context, id string) (alert.Alert, error)
	AckAlert(ctx context.Context, id string, ack alert.Ack) (alert.Alert, error)
	AlertEvents(ctx context.Context, q alert.EventQuery) ([]alert.Event, error)
	CreateSilence(ctx context.Context, s alert.Silence) error
	Silences(ctx context.Context, activeAt time.Time) ([]alert.Silence, error)
	ExpireSilence(ctx context.Context, id string, at time.Time) error
	Notifications(ctx context.Context, since time.Time, notifier string, limit int) ([]notify.Record, error)
}

// maxComment bounds an acknowledgement's or silence's comment and author.
const maxComment = 1000

type ackJSON struct {
	By      string    `json:"by"`
	Comment string    `json:"comment"`
	At      time.Time `json:"at"`
}

type alertJSON struct {
	ID           string            `json:"id"`
	Rule         string            `json:"rule"`
	State        string            `json:"state"`
	Severity     string            `json:"severity"`
	Group        string            `json:"group"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	Value        float64           `json:"value"`
	ActiveSince  time.Time         `json:"active_since"`
	FiredAt      *time.Time        `json:"fired_at"`
	ResolvedAt   *time.Time        `json:"resolved_at"`
	Acknowledged *ackJSON          `json:"acknowledged"`
	Silenced     bool              `json:"silenced"`
	SilencedBy   []string          `json:"silenced_by"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func toAlertJSON(a alert.Alert) alertJSON {
	j := alertJSON{ID: a.ID, Rule: a.Rule, State: string(a.State), Severity: a.Severity, Group: a.Group,
		Labels: a.Labels, Annotations: a.Annotations, Value: a.Value, ActiveSince: a.ActiveSince.UTC(),
		FiredAt: optTime(a.FiredAt), ResolvedAt: optTime(a.ResolvedAt),
		Silenced: len(a.SilencedBy) > 0, SilencedBy: a.SilencedBy}
	if j.SilencedBy == nil {
		j.SilencedBy = []string{}
	}
	if a.Ack != nil {
		j.Acknowledged = &ackJSON{By: a.Ack.By, Comment: a.Ack.Comment, At: a.Ack.At.UTC()}
	}
	return j
}

// withAlerts answers 404 when crmguard runs without an alert store.
func (s *Server) withAlerts(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.opts.Alerts == nil {
			writeError(w, http.StatusNotFound, "alerts are not available on this server")
			return
		}
		h(w, r)
	}
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	state := alert.State(r.URL.Query().Get("state"))
	switch state {
	case "", alert.Pending, alert.Firing, alert.Resolved:
	default:
		writeError(w, http.StatusBadRequest, "state: want pending, firing or resolved")
		return
	}
	as, err := s.opts.Alerts.ListAlerts(r.Context(), state)
	if err != nil {
		s.internal(w, "listing alerts", err)
		return
	}
	out := struct {
		Alerts []alertJSON `json:"alerts"`
	}{Alerts: []alertJSON{}}
	for _, a := range as {
		out.Alerts = append(out.Alerts, toAlertJSON(a))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request) {
	a, err := s.opts.Alerts.GetAlert(r.Context(), r.PathValue("id"))
	if errors.Is(err, alert.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no alert "+r.PathValue("id")+"; resolved alerts are listed for alerts.keep_resolved, then only in /api/v1/alerts/history")
		return
	}
	if err != nil {
		s.internal(w, "reading the alert", err)
		return
	}
	writeJSON(w, http.StatusOK, toAlertJSON(a))
}

func (s *Server) ackAlert(w http.ResponseWriter, r *http.Request) {
	var body struct {
		By      string `json:"by"`
		Comment string `json:"comment"`
	}
	const example = `{"by": "jane", "comment": "looking into the expired credentials"}`
	if err := decodeBody(w, r, &body, example); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if body.By == "" || len(body.By) > 200 || !utf8.ValidString(body.By) {
		writeError(w, http.StatusBadRequest, "by: required, at most 200 characters: who acknowledges, e.g. "+example)
		return
	}
	if len(body.Comment) > maxComment || !utf8.ValidString(body.Comment) {
		writeError(w, http.StatusBadRequest, "comment: at most 1000 characters of UTF-8 text")
		return
	}
	id := r.PathValue("id")
	a, err := s.opts.Alerts.AckAlert(r.Context(), id, alert.Ack{By: body.By, Comment: body.Comment, At: s.opts.Now()})
	switch {
	case errors.Is(err, alert.ErrNotFound):
		writeError(w, http.StatusNotFound, "no alert "+id)
	case errors.Is(err, alert.ErrNotActive):
		writeError(w, http.StatusConflict, "alert "+id+" has resolved; there is nothing to acknowledge")
	case err != nil:
		s.internal(w, "acknowledging the alert", err)
	default:
		writeJSON(w, http.StatusOK, toAlertJSON(a))
	}
}

// logQuery reads the since and limit parameters of a log endpoint,
// answering 400 when one is wrong.
func (s *Server) logQuery(w http.ResponseWriter, r *http.Request) (since time.Time, limit int, ok bool) {
	q := r.URL.Query()
	since, err := parseTime(q.Get("since"), s.opts.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "since: "+err.Error())
		return since, 0, false
	}
	if limit, err = parseLimit(q.Get("limit"), 1000); err != nil {
		writeError(w, http.StatusBadRequest, "limit: "+err.Error())
		return since, 0, false
	}
	return since, limit, true
}

func (s *Server) alertHistory(w http.ResponseWriter, r *http.Request) {
	since, limit, ok := s.logQuery(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	evs, err := s.opts.Alerts.AlertEvents(r.Context(), alert.EventQuery{Since: since, AlertID: q.Get("alert"), Rule: q.Get("rule"), Limit: limit})
	if err != nil {
		s.internal(w, "reading the alert history", err)
		return
	}
	type eventJSON struct {
		ID      int64             `json:"id"`
		At      time.Time         `json:"at"`
		AlertID string            `json:"alert_id"`
		Rule    string            `json:"rule"`
		Labels  map[string]string `json:"labels"`
		Kind    string            `json:"kind"`
		By      string            `json:"by,omitempty"`
		Detail  string            `json:"detail,omitempty"`
	}
	out := struct {
		Events []eventJSON `json:"events"`
	}{Events: []eventJSON{}}
	for _, e := range evs {
		out.Events = append(out.Events, eventJSON{e.ID, e.At.UTC(), e.AlertID, e.Rule, e.Labels, e.Kind, e.By, e.Detail})
	}
	writeJSON(w, http.StatusOK, out)
}

type silenceJSON struct {
	ID        string            `json:"id"`
	Matchers  map[string]string `json:"matchers"`
	StartsAt  time.Time         `json:"starts_at"`
	EndsAt    time.Time         `json:"ends_at"`
	CreatedBy string            `json:"created_by"`
	Comment   string            `json:"comment"`
	CreatedAt time.Time         `json:"created_at"`
	Active    bool              `json:"active"`
}

func (s *Server) toSilenceJSON(si alert.Silence) silenceJSON {
	now := s.opts.Now()
	return silenceJSON{si.ID, si.Matchers, si.StartsAt.UTC(), si.EndsAt.UTC(), si.CreatedBy, si.Comment, si.CreatedAt.UTC(),
		!now.Before(si.StartsAt) && now.Before(si.EndsAt)}
}

func (s *Server) listSilences(w http.ResponseWriter, r *http.Request) {
	at := s.opts.Now()
	if r.URL.Query().Get("expired") == "true" {
		at = time.Time{}
	}
	ss, err := s.opts.Alerts.Silences(r.Context(), at)
	if err != nil {
		s.internal(w, "listing silences", err)
		return
	}
	out := struct {
		Silences []silenceJSON `json:"silences"`
	}{Silences: []silenceJSON{}}
	for _, si := range ss {
		out.Silences = append(out.Silences, s.toSilenceJSON(si))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createSilence(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Matchers  map[string]string `json:"matchers"`
		StartsAt  *time.Time        `json:"starts_at"`
		EndsAt    *time.Time        `json:"ends_at"`
		Duration  string            `json:"duration"`
		CreatedBy string            `json:"created_by"`
		Comment   string            `json:"comment"`
	}
	const example = `{"matchers": {"upstream": "sf"}, "duration": "2h", "created_by": "jane", "comment": "Salesforce maintenance"}`
	if err := decodeBody(w, r, &body, example); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	now := s.opts.Now()
	si := alert.Silence{Matchers: body.Matchers, StartsAt: now, CreatedBy: body.CreatedBy, Comment: body.Comment, CreatedAt: now}
	if body.StartsAt != nil {
		si.StartsAt = *body.StartsAt
	}
	switch {
	case body.EndsAt != nil && body.Duration != "":
		writeError(w, http.StatusBadRequest, "ends_at and duration are both set; send one, e.g. "+example)
		return
	case body.EndsAt != nil:
		si.EndsAt = *body.EndsAt
	case body.Duration != "":
		d, err := time.ParseDuration(body.Duration)
		if err != nil || d <= 0 {
			writeError(w, http.StatusBadRequest, "duration: want a positive duration such as 2h or 30m")
			return
		}
		si.EndsAt = si.StartsAt.Add(d)
	default:
		writeError(w, http.StatusBadRequest, "ends_at or duration is required: a silence ends, e.g. "+example)
		return
	}
	if si.CreatedBy == "" || len(si.CreatedBy) > 200 || len(si.Comment) > maxComment || !utf8.ValidString(si.CreatedBy+si.Comment) {
		writeError(w, http.StatusBadRequest, "created_by (required, at most 200 characters) and comment (at most 1000): who silences and why, e.g. "+example)
		return
	}
	if err := alert.CheckSilence(si); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	id := make([]byte, 8)
	_, _ = rand.Read(id) // never fails
	si.ID = hex.EncodeToString(id)
	if err := s.opts.Alerts.CreateSilence(r.Context(), si); err != nil {
		s.internal(w, "storing the silence", err)
		return
	}
	writeJSON(w, http.StatusCreated, s.toSilenceJSON(si))
}

func (s *Server) expireSilence(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := s.opts.Alerts.ExpireSilence(r.Context(), id, s.opts.Now())
	switch {
	case errors.Is(err, alert.ErrNotFound):
		writeError(w, http.StatusNotFound, "no silence "+id)
	case err != nil:
		s.internal(w, "expiring the silence", err)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) notifications(w http.ResponseWriter, r *http.Request) {
	since, limit, ok := s.logQuery(w, r)
	if !ok {
		return
	}
	rs, err := s.opts.Alerts.Notifications(r.Context(), since, r.URL.Query().Get("notifier"), limit)
	if err != nil {
		s.internal(w, "reading the notification log", err)
		return
	}
	type recordJSON struct {
		ID       int64     `json:"id"`
		At       time.Time `json:"at"`
		Notifier string    `json:"notifier"`
		Group    string    `json:"group"`
		Kind     string    `json:"kind"`
		Outcome  string    `json:"outcome"`
		Attempts int       `json:"attempts"`
		Error    string    `json:"error,omitempty"`
		Alerts   []string  `json:"alerts"`
	}
	out := struct {
		Notifications []recordJSON `json:"notifications"`
	}{Notifications: []recordJSON{}}
	for _, n := range rs {
		out.Notifications = append(out.Notifications, recordJSON{n.ID, n.At.UTC(), n.Notifier, n.Group, string(n.Kind), n.Outcome, n.Attempts, n.Error, n.Alerts})
	}
	writeJSON(w, http.StatusOK, out)
}
