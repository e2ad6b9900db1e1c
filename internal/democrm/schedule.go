package democrm

import (
	"sync"
	"time"
)

// Schedule decides, request by request, whether to inject a fault.
type Schedule interface {
	// Pick returns the fault for r, if any. The server calls it for every
	// request that has no forced fault, one call at a time per server and
	// under the server's lock (so Pick must not call the server), and
	// ignores a pick whose kind does not apply to r.
	Pick(r Request) (FaultSpec, bool)
}

// ScheduleFunc adapts a function to Schedule.
type ScheduleFunc func(Request) (FaultSpec, bool)

// Pick calls f.
func (f ScheduleFunc) Pick(r Request) (FaultSpec, bool) { return f(r) }

// Never returns a schedule that injects nothing.
func Never() Schedule {
	return ScheduleFunc(func(Request) (FaultSpec, bool) { return FaultSpec{}, false })
}

// Request is what a schedule sees of one request.
type Request struct {
	Dialect string
	Method  string
	Path    string    // relative to the dialect prefix
	Now     time.Time // the server's clock
	// Roll is a uniform draw in [0, 1) from the server's seeded source, for
	// probabilistic choices that stay reproducible.
	Roll float64

	op *op
}

// Applies reports whether a fault of kind k can be injected faithfully into
// r: the dialect must express k, and the request must fit it (a partial
// failure needs a batch, a missing record needs a request naming one). A
// Request built outside the server only checks the dialect.
func (r Request) Applies(k Kind) bool {
	if r.op == nil {
		return k.Supported(r.Dialect)
	}
	return k.applies(r.op)
}

// Rule injects one fault into matching requests.
type Rule struct {
	FaultSpec
	// P is the chance, from 0 to 1, that a matching request gets the
	// fault. Within one schedule the chances of the rules that match a
	// request add up: one roll picks at most one rule.
	P float64
	// Every, when positive, makes the rule due once Every has passed since
	// it last fired (and from the start): the next matching request then
	// gets the fault whatever P says. It guarantees that a kind shows up.
	Every time.Duration
}

// ruleSet is the state of a list of rules.
type ruleSet struct {
	rules []Rule
	last  []time.Time // when each rule last fired; zero for never
}

func newRuleSet(rules []Rule) ruleSet {
	return ruleSet{rules: rules, last: make([]time.Time, len(rules))}
}

// due returns the first rule that is due and matches r.
func (rs *ruleSet) due(r Request) (FaultSpec, bool) {
	for i, rule := range rs.rules {
		if rule.Every <= 0 || !rule.Matches(r) {
			continue
		}
		if rs.last[i].IsZero() || r.Now.Sub(rs.last[i]) >= rule.Every {
			rs.last[i] = r.Now
			return rule.FaultSpec, true
		}
	}
	return FaultSpec{}, false
}

// roll picks a matching rule by chance, advancing *acc by each matching
// rule's P so that several sets can share one roll.
func (rs *ruleSet) roll(r Request, acc *float64) (FaultSpec, bool) {
	for i, rule := range rs.rules {
		if rule.P <= 0 || !rule.Matches(r) {
			continue
		}
		*acc += rule.P
		if r.Roll < *acc {
			rs.last[i] = r.Now
			return rule.FaultSpec, true
		}
	}
	return FaultSpec{}, false
}

// reset forgets when the rules last fired.
func (rs *ruleSet) reset() { clear(rs.last) }

// RuleSchedule applies a fixed list of rules to every request. It is safe
// for concurrent use.
type RuleSchedule struct {
	mu  sync.Mutex
	set ruleSet
}

// NewSchedule returns a schedule of rules. Due rules (see Rule.Every) fire
// first, in order; otherwise one roll picks among the matching rules by
// their P.
func NewSchedule(rules ...Rule) *RuleSchedule {
	return &RuleSchedule{set: newRuleSet(rules)}
}

// Pick implements Schedule.
func (s *RuleSchedule) Pick(r Request) (FaultSpec, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if spec, ok := s.set.due(r); ok {
		return spec, true
	}
	acc := 0.0
	return s.set.roll(r, &acc)
}
