package democrm

import (
	"maps"
	"net/http"
	"slices"
	"time"
)

// counters tally what the server received and sent.
type counters struct {
	byKind   map[Kind]int
	byClass  map[string]int // injected faults by expected class
	answered map[string]int // every answer by expected class
	seen     []SeenRequest  // the latest requests, at most SeenLimit
}

// SeenLimit is how many requests Seen keeps: the oldest are dropped first.
const SeenLimit = 4096

// SeenRequest is one request the server received, as Seen lists it.
type SeenRequest struct {
	Dialect string // "" for a path that names no dialect
	Method  string
	Path    string    // relative to the dialect prefix; the whole path when Dialect is ""
	Query   string    // the raw query, without "?"
	At      time.Time // the server's clock when the request arrived
}

// see logs a request on arrival, before any fault can cut it short, so a
// request the server reset still counts as seen.
func (s *Server) see(dialect string, r *http.Request, path string) {
	req := SeenRequest{Dialect: dialect, Method: r.Method, Path: path, Query: r.URL.RawQuery, At: s.opts.Now()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.counts.seen) == SeenLimit {
		s.counts.seen = slices.Delete(s.counts.seen, 0, 1)
	}
	s.counts.seen = append(s.counts.seen, req)
}

// Seen returns the requests the server received, oldest first: the last
// SeenLimit of them since New or ResetCounters, every dialect and faulted
// requests included. A test asserts that crmguard kept a call from the CRM
// by finding no matching entry, for example no POST with Dialect SuiteCRM
// and Path "/Api/V8/module".
func (s *Server) Seen() []SeenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.counts.seen)
}

func newCounters() counters {
	return counters{byKind: map[Kind]int{}, byClass: map[string]int{}, answered: map[string]int{}}
}

// countAnswer records one answer of the given expected class.
func (s *Server) countAnswer(class string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts.answered[class]++
}

// countInjected records one injected fault. The caller holds mu.
func (s *Server) countInjected(f Fault) {
	s.counts.byKind[f.Kind]++
	s.counts.byClass[f.Class]++
}

// Injected returns how many faults the server injected, by the name of the
// cause class crmguard should assign to them. Slow faults count as "ok".
func (s *Server) Injected() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts.byClass)
}

// InjectedByKind returns how many faults the server injected, by kind.
func (s *Server) InjectedByKind() map[Kind]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts.byKind)
}

// Answered returns how many requests the server answered, injected faults
// included, by the cause class crmguard should assign to each answer: "ok"
// for a success, the fault's class for an injected fault (a slow answer
// keeps the class of the answer it delays), and the class of the vendor
// error for a request the CRM itself rejects, such as a call to a retired
// API version. Compare it with what crmguard observed.
func (s *Server) Answered() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts.answered)
}

// ResetCounters zeroes the counts behind Injected, InjectedByKind and
// Answered and empties the log behind Seen. Records, quotas and pending
// injections stay.
func (s *Server) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = newCounters()
}

// usage is the API consumption the server reports in its rate-limit
// headers.
type usage struct {
	sf          int // Salesforce calls today
	hsDay       int // HubSpot calls today
	hsWindow    int // HubSpot calls in the current 10-second window
	hsWindowEnd time.Time
	hsQuota     int // HubSpot quota faults so far, to alternate their policy
	variant     int // alternates the wording of some faults
}

// nextVariant returns 0, 1, 0, 1, … for faults with two faithful forms.
func (s *Server) nextVariant() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.usage.variant
	s.usage.variant++
	return v % 2
}
