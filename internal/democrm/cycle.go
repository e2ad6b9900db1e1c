package democrm

import (
	"sync"
	"time"
)

// Phase is one stretch of a Cycle during which its rules apply.
type Phase struct {
	Name  string
	For   time.Duration
	Rules []Rule
}

// Cycle is a schedule that runs its phases one after the other, over and
// over, while background rules apply all the time. The cycle starts at the
// first request it sees. Each time a phase begins, its rules count as never
// fired, so a phase rule with Every fires early in every turn of its phase.
// It is safe for concurrent use.
type Cycle struct {
	mu         sync.Mutex
	phases     []Phase
	sets       []ruleSet
	background ruleSet
	length     time.Duration
	start      time.Time
	turn       []int64 // the cycle number in which each phase was last active
}

// NewCycle returns a cycle of phases with background rules. Phases with no
// positive length are dropped.
func NewCycle(background []Rule, phases ...Phase) *Cycle {
	c := &Cycle{background: newRuleSet(background)}
	for _, p := range phases {
		if p.For <= 0 {
			continue
		}
		c.phases = append(c.phases, p)
		c.sets = append(c.sets, newRuleSet(p.Rules))
		c.turn = append(c.turn, -1)
		c.length += p.For
	}
	return c
}

// Pick implements Schedule: due rules first (the phase's, then the
// background's), then one roll over the phase's and the background's rules.
func (c *Cycle) Pick(r Request) (FaultSpec, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.start.IsZero() {
		c.start = r.Now
	}
	var phase *ruleSet
	if i, turn := c.at(r.Now); i >= 0 {
		phase = &c.sets[i]
		if c.turn[i] != turn {
			c.turn[i] = turn
			phase.reset()
		}
	}
	if phase != nil {
		if spec, ok := phase.due(r); ok {
			return spec, true
		}
	}
	if spec, ok := c.background.due(r); ok {
		return spec, true
	}
	acc := 0.0
	if phase != nil {
		if spec, ok := phase.roll(r, &acc); ok {
			return spec, true
		}
	}
	return c.background.roll(r, &acc)
}

// PhaseAt names the phase active at t, for display; before the first
// request it names the first phase.
func (c *Cycle) PhaseAt(t time.Time) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.phases) == 0 {
		return ""
	}
	if c.start.IsZero() {
		return c.phases[0].Name
	}
	i, _ := c.at(t)
	if i < 0 {
		return c.phases[0].Name
	}
	return c.phases[i].Name
}

// at returns the index of the phase active at t and the number of the
// cycle turn, or -1 when there are no phases.
func (c *Cycle) at(t time.Time) (int, int64) {
	if c.length <= 0 {
		return -1, 0
	}
	since := max(t.Sub(c.start), 0)
	turn := int64(since / c.length)
	off := since % c.length
	for i, p := range c.phases {
		if off < p.For {
			return i, turn
		}
		off -= p.For
	}
	return len(c.phases) - 1, turn
}

// DemoSchedule returns the schedule of `crmguard demo`: a 12-second cycle
// of six 2-second phases — steady, a burst of server errors, a maintenance
// window, quota exhaustion, expiring sessions, network trouble (resets and
// stalls) — over a background of per-request faults (slow answers, wrong
// fields, bad formats, retired versions, missing records, duplicates,
// locks, partial batches, permission errors, contract drift and the odd
// undocumented status), each due every few seconds. With 20–50 requests a
// second spread over the four dialects (for example SampleRequests in
// turn), every kind fires within the first cycle.
func DemoSchedule() *Cycle {
	const s = time.Second
	bg := func(k Kind, p float64, every time.Duration) Rule {
		return Rule{FaultSpec: FaultSpec{Kind: k}, P: p, Every: every}
	}
	burst := func(name string, rules ...Rule) Phase {
		return Phase{Name: name, For: 2 * s, Rules: rules}
	}
	return NewCycle(
		[]Rule{
			bg(Slow, 0.03, 4*s),
			bg(WrongField, 0.005, 4*s),
			bg(BadFormat, 0.005, 4*s),
			bg(RetiredVersion, 0.002, 6*s),
			bg(NotFound, 0.005, 4*s),
			bg(Duplicate, 0.005, 4*s),
			bg(Lock, 0.005, 4*s),
			bg(Partial, 0.05, 4*s),
			bg(Permission, 0.002, 6*s),
			bg(Weird, 0.002, 6*s),
			bg(Drift, 0.005, 4*s),
		},
		burst("steady"),
		burst("server errors", bg(ServerError, 0.3, s)),
		burst("maintenance window", bg(Maintenance, 0.5, s)),
		burst("quota exhausted", bg(Quota, 0.5, s)),
		burst("sessions expire", bg(SessionExpired, 0.2, s)),
		burst("network trouble", bg(Reset, 0.06, s), bg(ResetMidBody, 0.06, s), bg(Stall, 0.03, s)),
	)
}
