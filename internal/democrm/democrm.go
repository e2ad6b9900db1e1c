// Package democrm is the sample CRM behind `crmguard demo` and the
// integration tests: one http.Handler that answers in the Salesforce REST,
// HubSpot CRM v3, Odoo JSON-RPC/JSON-2 and SuiteCRM V8 JSON:API dialects
// under their own path prefixes, keeps a few hundred seeded records in
// memory, and injects faults in each vendor's own words on a schedule,
// counting what it injected and logging what it received.
package democrm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The dialects the server speaks. Each one is served under "/" + its name,
// so "/salesforce/services/data/" is Salesforce's version list.
const (
	Salesforce = "salesforce"
	HubSpot    = "hubspot"
	Odoo       = "odoo"
	SuiteCRM   = "suitecrm"
)

// Dialects returns the dialect names in a fixed order.
func Dialects() []string { return []string{Salesforce, HubSpot, Odoo, SuiteCRM} }

// Options configures a Server. The zero value is a working server that never
// injects a fault.
type Options struct {
	// Schedule decides which requests get a fault. Nil never injects; faults
	// forced with Inject still fire.
	Schedule Schedule
	// Seed seeds the generated records and every random draw, so two servers
	// with the same seed and the same requests behave the same.
	Seed uint64
	// StallFor is how long a stall fault holds a request before answering;
	// set it above the gateway's timeout. Default 60s. The stall ends early
	// when the client goes away.
	StallFor time.Duration
	// SlowFor is the latency a slow fault adds; keep it below the gateway's
	// timeout. Default 750ms.
	SlowFor time.Duration
	// RequireAuth makes Salesforce, HubSpot, Odoo JSON-2 and SuiteCRM V8
	// reject requests without an Authorization bearer token, each in its
	// own words. Odoo JSON-RPC always needs a password among its
	// arguments; SuiteCRM's logout always needs a token, as it does in
	// SuiteCRM.
	RequireAuth bool
	// Now is the clock for schedules, rate-limit windows and timestamps.
	// Default time.Now.
	Now func() time.Time
	// Logger receives one debug record per injected fault. Default:
	// discard.
	Logger *slog.Logger
	// OnFault, when set, is called after each injected fault is answered
	// (or the connection cut). It must not block.
	OnFault func(Fault)
}

// Server is the sample CRM. It is safe for concurrent use.
type Server struct {
	opts     Options
	log      *slog.Logger
	store    *store
	dialects map[string]dialect

	mu       sync.Mutex
	rnd      *rand.Rand
	schedule Schedule
	forced   []forcedFault
	counts   counters
	usage    usage
	sessions map[string]bool // Odoo web session ids
}

// New returns a server with freshly seeded records.
func New(opts Options) *Server {
	if opts.StallFor <= 0 {
		opts.StallFor = 60 * time.Second
	}
	if opts.SlowFor <= 0 {
		opts.SlowFor = 750 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:     opts,
		log:      log,
		store:    seed(opts.Seed),
		rnd:      rand.New(rand.NewPCG(opts.Seed, 0x64656d6f63726d)),
		schedule: opts.Schedule,
		counts:   newCounters(),
		sessions: map[string]bool{},
	}
	s.dialects = map[string]dialect{
		Salesforce: &salesforce{s: s},
		HubSpot:    &hubspot{s: s},
		Odoo:       &odoo{s: s},
		SuiteCRM:   newSuiteCRM(s),
	}
	return s
}

// ServeHTTP routes a request to the dialect named by its first path segment.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if _, ok := s.dialects[name]; !ok {
		s.see("", r, r.URL.Path)
		s.countAnswer("parameter")
		http.Error(w, fmt.Sprintf("no CRM dialect %q; use /salesforce, /hubspot, /odoo or /suitecrm", name), http.StatusNotFound)
		return
	}
	s.serve(w, r, name, "/"+rest)
}

// Handler returns a handler that serves one dialect at the root, for an
// upstream that must not carry the dialect prefix. It returns nil for an
// unknown dialect.
func (s *Server) Handler(dialect string) http.Handler {
	if _, ok := s.dialects[dialect]; !ok {
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, dialect, r.URL.Path)
	})
}

// SetSchedule replaces the schedule; nil stops scheduled faults.
func (s *Server) SetSchedule(sc Schedule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.schedule = sc
}

// serve answers one request in dialect name; path is relative to the
// dialect's prefix.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, name, path string) {
	s.see(name, r, path)
	d := s.dialects[name]
	o := d.parse(r, path)
	f, spec, ok := s.decide(o)
	if !ok {
		a := d.answer(o)
		d.decorate(o, &a)
		s.countAnswer(a.class)
		s.write(w, a)
		return
	}
	a, delivered := s.inject(w, r, d, o, f, spec)
	f.Status, f.Code = a.status, a.code
	if !delivered {
		f.Status = 0
	}
	s.log.Debug("injected fault", "kind", string(f.Kind), "class", f.Class, "dialect", f.Dialect,
		"method", f.Method, "path", f.Path, "status", f.Status, "code", f.Code)
	if s.opts.OnFault != nil {
		s.opts.OnFault(f)
	}
}

// inject carries out fault spec on one request and reports the answer it
// sent, if any: delivered is false when the connection was cut or the
// client left before the answer. The answer is counted before it is sent,
// so a client that sees it also sees it counted.
func (s *Server) inject(w http.ResponseWriter, r *http.Request, d dialect, o *op, f Fault, spec FaultSpec) (a answer, delivered bool) {
	switch spec.Kind {
	case Slow, Stall:
		wait := s.opts.SlowFor
		if spec.Kind == Stall {
			wait = s.opts.StallFor
		}
		if spec.Delay > 0 {
			wait = spec.Delay
		}
		if err := sleep(r.Context(), wait); err != nil {
			s.countAnswer(map[Kind]string{Slow: "canceled", Stall: f.Class}[spec.Kind])
			return answer{}, false
		}
		a = d.answer(o)
		if spec.Kind == Slow {
			f.Class = a.class // a slow answer keeps the class of what it delays
		}
	case Reset:
		s.countAnswer(f.Class)
		cut(w, answer{status: http.StatusOK, header: http.Header{}}, true)
		return answer{}, false
	case ResetMidBody:
		a = d.answer(o)
		d.decorate(o, &a)
		s.countAnswer(f.Class)
		cut(w, a, false)
		return a, false
	default:
		a = d.fault(o, spec.Kind)
	}
	d.decorate(o, &a)
	s.countAnswer(f.Class)
	s.write(w, a)
	return a, true
}

// Start serves a new server on a loopback port and returns it with its base
// URL (no trailing slash) and a function that stops it. Stopping cancels
// requests in flight, stalled ones included.
func Start(opts Options) (*Server, string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, fmt.Errorf("listening on loopback: %w", err)
	}
	s := New(opts)
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("demo CRM stopped", "err", err)
		}
	}()
	stop := func() {
		_ = hs.Close()
		<-done
	}
	return s, "http://" + ln.Addr().String(), stop, nil
}

// sleep waits for d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
