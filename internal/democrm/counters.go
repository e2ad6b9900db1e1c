package democrm

import (
	"maps"
	"time"
)

// counters tally what the server sent.
type counters struct {
	byKind   map[Kind]int
	byClass  map[string]int // injected faults by expected class
	answered map[string]int // every answer by expected class
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
// Answered. Records, quotas and pending injections stay.
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
