package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/rollup"
)

func (s *Server) listCalls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var cq call.Query
	var err error
	cq.Upstream, cq.Operation = q.Get("upstream"), q.Get("operation")
	if v := q.Get("class"); v != "" {
		c, err := fault.Parse(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "class: "+err.Error())
			return
		}
		cq.Class = &c
	}
	now := s.opts.Now()
	if cq.Since, err = parseTime(q.Get("since"), now); err != nil {
		writeError(w, http.StatusBadRequest, "since: "+err.Error())
		return
	}
	if cq.Until, err = parseTime(q.Get("until"), now); err != nil {
		writeError(w, http.StatusBadRequest, "until: "+err.Error())
		return
	}
	if v := q.Get("cursor"); v != "" {
		cq.Before = call.ID(v)
		if !cq.Before.Valid() {
			writeError(w, http.StatusBadRequest, "cursor: not a cursor from a previous page's next_cursor")
			return
		}
	}
	if cq.Limit, err = parseLimit(q.Get("limit"), 1000); err != nil {
		writeError(w, http.StatusBadRequest, "limit: "+err.Error())
		return
	}
	calls, next, err := s.opts.Store.ListCalls(r.Context(), cq)
	if err != nil {
		s.internal(w, "listing calls", err)
		return
	}
	out := struct {
		Calls      []callJSON `json:"calls"`
		NextCursor string     `json:"next_cursor,omitempty"`
	}{Calls: make([]callJSON, 0, len(calls)), NextCursor: string(next)}
	for _, c := range calls {
		out.Calls = append(out.Calls, toCallJSON(c, false))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getCall(w http.ResponseWriter, r *http.Request) {
	id := call.ID(r.PathValue("id"))
	if !id.Valid() {
		writeError(w, http.StatusBadRequest, "call id must be the 26-character id from the Crmguard-Call-Id header")
		return
	}
	c, err := s.opts.Store.GetCall(r.Context(), id)
	switch {
	case errors.Is(err, call.ErrNotFound):
		writeError(w, http.StatusNotFound, "no call "+string(id)+" is stored (it may be past retention)")
	case err != nil:
		s.internal(w, "reading call", err)
	default:
		writeJSON(w, http.StatusOK, toCallJSON(c, true))
	}
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	iq := incident.Query{State: incident.State(q.Get("state")), Upstream: q.Get("upstream")}
	if iq.State != "" && iq.State != incident.Open && iq.State != incident.Resolved {
		writeError(w, http.StatusBadRequest, "state: want open or resolved")
		return
	}
	var err error
	if iq.Limit, err = parseLimit(q.Get("limit"), 1000); err != nil {
		writeError(w, http.StatusBadRequest, "limit: "+err.Error())
		return
	}
	list, err := s.opts.Store.ListIncidents(r.Context(), iq)
	if err != nil {
		s.internal(w, "listing incidents", err)
		return
	}
	out := struct {
		Incidents []incidentJSON `json:"incidents"`
	}{Incidents: make([]incidentJSON, 0, len(list))}
	for _, in := range list {
		out.Incidents = append(out.Incidents, s.withLatest(r.Context(), in))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) {
	in, err := s.opts.Store.GetIncident(r.Context(), r.PathValue("fingerprint"))
	switch {
	case errors.Is(err, incident.ErrNotFound):
		writeError(w, http.StatusNotFound, "no incident "+r.PathValue("fingerprint"))
	case err != nil:
		s.internal(w, "reading incident", err)
	default:
		writeJSON(w, http.StatusOK, s.withLatest(r.Context(), in))
	}
}

// withLatest renders an incident with the message of its latest sample
// call, when that call is still stored.
func (s *Server) withLatest(ctx context.Context, in incident.Incident) incidentJSON {
	j := toIncidentJSON(in)
	if n := len(in.SampleCalls); n > 0 {
		if c, err := s.opts.Store.GetCall(ctx, call.ID(in.SampleCalls[n-1])); err == nil {
			j.LatestMessage = c.Message
		}
	}
	return j
}

func (s *Server) resolveIncident(w http.ResponseWriter, r *http.Request) {
	fp := r.PathValue("fingerprint")
	err := s.opts.Store.ResolveIncident(r.Context(), fp, s.opts.Now())
	switch {
	case errors.Is(err, incident.ErrNotFound):
		writeError(w, http.StatusNotFound, "no incident "+fp)
		return
	case err != nil:
		s.internal(w, "resolving incident", err)
		return
	}
	s.opts.Logger.Info("incident resolved through the admin API", "incident", fp)
	s.getIncident(w, r)
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := s.opts.Now()
	since, err := parseTime(q.Get("since"), now)
	if err != nil {
		writeError(w, http.StatusBadRequest, "since: "+err.Error())
		return
	}
	if since.IsZero() {
		since = now.Add(-time.Hour)
	}
	until, err := parseTime(q.Get("until"), now)
	if err != nil {
		writeError(w, http.StatusBadRequest, "until: "+err.Error())
		return
	}
	if until.IsZero() {
		until = now.Add(time.Minute) // include the running minute
	}
	rows, err := s.opts.Store.Rollups(r.Context(), since.Truncate(time.Minute), until)
	if err != nil {
		s.internal(w, "reading rollups", err)
		return
	}
	writeJSON(w, http.StatusOK, toStatsJSON(rollup.Summarize(since, until, rows)))
}

func (s *Server) internal(w http.ResponseWriter, what string, err error) {
	s.opts.Logger.Error("admin API: "+what+" failed", "err", err)
	writeError(w, http.StatusInternalServerError, what+" failed; see crmguard's log")
}

// parseTime reads a time parameter: RFC 3339, or a duration meaning that
// long before now ("15m", "24h"). Empty gives the zero time.
func parseTime(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(v); err == nil {
		if d < 0 {
			return time.Time{}, errors.New("a duration means that long ago and must not be negative")
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, errors.New("want an RFC 3339 time such as 2026-11-23T10:00:00Z or a duration ago such as 15m")
	}
	return t, nil
}

func parseLimit(v string, most int) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		return 0, errors.New("want a number from 1 to " + strconv.Itoa(most))
	}
	return n, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // an API, not a page: keep "<n>" in messages readable
	_ = enc.Encode(v)        // the client may be gone
}

func writeError(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}{http.StatusText(status), status, detail})
}

func (s *Server) upstreams(w http.ResponseWriter, _ *http.Request) {
	type endpointJSON struct {
		URL     string    `json:"url"`
		Breaker string    `json:"breaker"`
		Since   time.Time `json:"since"`
	}
	type upstreamJSON struct {
		Name      string         `json:"name"`
		Endpoints []endpointJSON `json:"endpoints"`
	}
	out := struct {
		Upstreams []upstreamJSON `json:"upstreams"`
	}{Upstreams: []upstreamJSON{}}
	if s.opts.Upstreams != nil {
		for _, u := range s.opts.Upstreams() {
			j := upstreamJSON{Name: u.Name, Endpoints: []endpointJSON{}}
			for _, e := range u.Endpoints {
				j.Endpoints = append(j.Endpoints, endpointJSON{URL: e.URL, Breaker: e.Breaker, Since: e.Since.UTC()})
			}
			out.Upstreams = append(out.Upstreams, j)
		}
	}
	writeJSON(w, http.StatusOK, out)
}
