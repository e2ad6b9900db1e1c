// Package admin serves crmguard's admin listener: the JSON API over stored
// calls, incidents, statistics, the write queue and alerts (bearer token
// required), Prometheus metrics, and the health and readiness probes.
package admin

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/outbox"
	"github.com/crmguard/crmguard/internal/rollup"
	"github.com/crmguard/crmguard/internal/shape"
)

// Calls reads stored calls.
type Calls interface {
	ListCalls(ctx context.Context, q call.Query) ([]*call.Call, call.ID, error)
	GetCall(ctx context.Context, id call.ID) (*call.Call, error)
}

// Incidents reads and resolves incidents.
type Incidents interface {
	ListIncidents(ctx context.Context, q incident.Query) ([]incident.Incident, error)
	GetIncident(ctx context.Context, fingerprint string) (incident.Incident, error)
	ResolveIncident(ctx context.Context, fingerprint string, at time.Time) error
}

// Rollups reads per-minute rollups.
type Rollups interface {
	Rollups(ctx context.Context, since, until time.Time) ([]rollup.Row, error)
}

// Store is everything the admin API reads.
type Store interface {
	Calls
	Incidents
	Rollups
}

// Options configure the admin handler.
type Options struct {
	// Token is the bearer token the /api/ endpoints require. It must not
	// be empty.
	Token    string
	Store    Store
	Gatherer prometheus.Gatherer
	// Queue lists, replays and drops the durable write queue's entries
	// for /api/v1/queue; nil (no queue configured) makes those endpoints
	// answer 404.
	Queue outbox.Admin
	// Shapes returns the learned shapes of an upstream's operations for
	// /api/v1/shapes; nil makes that endpoint answer 404.
	Shapes func(ctx context.Context, upstream string) ([]*shape.Operation, error)
	// Alerts serves /api/v1/alerts, /api/v1/silences and
	// /api/v1/notifications; nil makes them answer 404.
	Alerts Alerts
	// Ready reports whether crmguard can serve: nil when it can.
	Ready func(ctx context.Context) error
	// Upstreams reports each upstream's endpoints and their circuit
	// breakers; nil serves an empty list.
	Upstreams func() []UpstreamStatus
	Logger    *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// UpstreamStatus is one upstream's endpoints, for GET /api/v1/upstreams.
type UpstreamStatus struct {
	Name      string
	Endpoints []EndpointStatus
}

// EndpointStatus is one endpoint (the primary or a failover) and the state
// of its circuit breaker.
type EndpointStatus struct {
	URL     string
	Breaker string // closed, half-open or open
	Since   time.Time
}

// Server is the admin handler.
type Server struct {
	opts Options
	mux  *http.ServeMux
}

// New returns the admin handler.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Ready == nil {
		opts.Ready = func(context.Context) error { return nil }
	}
	s := &Server{opts: opts, mux: http.NewServeMux()}
	api := func(pattern string, h http.HandlerFunc) { s.mux.Handle(pattern, s.authorized(h)) }
	api("GET /api/v1/calls", s.listCalls)
	api("GET /api/v1/calls/{id}", s.getCall)
	api("GET /api/v1/incidents", s.listIncidents)
	api("GET /api/v1/incidents/{fingerprint}", s.getIncident)
	api("POST /api/v1/incidents/{fingerprint}/resolve", s.resolveIncident)
	api("GET /api/v1/stats", s.stats)
	api("GET /api/v1/upstreams", s.upstreams)
	api("GET /api/v1/queue", s.withQueue(s.listEntries))
	api("GET /api/v1/queue/stats", s.withQueue(s.queueStats))
	api("GET /api/v1/queue/{id}", s.withQueue(s.getEntry))
	api("POST /api/v1/queue/{id}/replay", s.withQueue(s.replayEntry))
	api("POST /api/v1/queue/replay", s.withQueue(s.replayEntries))
	api("POST /api/v1/queue/{id}/drop", s.withQueue(s.dropEntry))
	api("GET /api/v1/shapes", s.shapes)
	api("GET /api/v1/alerts", s.withAlerts(s.listAlerts))
	api("GET /api/v1/alerts/history", s.withAlerts(s.alertHistory))
	api("GET /api/v1/alerts/{id}", s.withAlerts(s.getAlert))
	api("POST /api/v1/alerts/{id}/ack", s.withAlerts(s.ackAlert))
	api("GET /api/v1/silences", s.withAlerts(s.listSilences))
	api("POST /api/v1/silences", s.withAlerts(s.createSilence))
	api("DELETE /api/v1/silences/{id}", s.withAlerts(s.expireSilence))
	api("GET /api/v1/notifications", s.withAlerts(s.notifications))
	api("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path+"; see docs/admin-api.md")
	})
	if opts.Gatherer != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", s.ready)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// authorized requires "Authorization: Bearer <token>", compared in
// constant time.
func (s *Server) authorized(h http.Handler) http.Handler {
	want := []byte(s.opts.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || len(want) == 0 ||
			subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="crmguard admin"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token: send 'Authorization: Bearer <token>' with the token from the variable named by admin.token_env")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.opts.Ready(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready: " + err.Error() + "\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}
