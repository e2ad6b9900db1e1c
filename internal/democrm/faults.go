package democrm

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kind names one kind of fault the server can inject.
type Kind string

// The fault kinds. Each is answered in the dialect's own words; Class gives
// the cause class crmguard should assign to the result.
const (
	Slow           Kind = "slow"            // normal answer after SlowFor; ok
	Stall          Kind = "stall"           // normal answer after StallFor, unless the client leaves; timeout
	Reset          Kind = "reset"           // connection reset before any byte of the answer; network
	ResetMidBody   Kind = "reset_mid_body"  // headers and half the body, then a reset; network
	ServerError    Kind = "server"          // the CRM fails internally; server
	Maintenance    Kind = "maintenance"     // 503 with Retry-After and a maintenance body; unavailable
	Quota          Kind = "quota"           // API quota or rate limit exhausted; rate_limit
	SessionExpired Kind = "session_expired" // session or token expired; auth
	Permission     Kind = "permission"      // authenticated but not allowed; permission
	WrongField     Kind = "wrong_field"     // the request names a field that does not exist; parameter
	BadFormat      Kind = "bad_format"      // a value does not fit its field; data_format
	RetiredVersion Kind = "retired_version" // the API version is retired; version
	NotFound       Kind = "not_found"       // the record does not exist; not_found
	Duplicate      Kind = "duplicate"       // the record already exists; conflict
	Lock           Kind = "lock"            // the record is locked by another transaction; conflict
	Partial        Kind = "partial"         // a batch where some items fail; data_format
	Weird          Kind = "weird"           // an undocumented status with a text body; unknown
	// Drift is contract drift: a record read answers 200 as if nothing
	// were wrong, but its records changed shape, the way an upgrade or a
	// customisation of the CRM changes them. SuiteCRM alone expresses it:
	// every record of the answer lacks one attribute (last_name on
	// Contacts, name on Accounts) and carries two with another JSON type
	// (deleted as the number 0 instead of "0", date_entered as Unix
	// seconds instead of an ISO 8601 string). Only the attributes the
	// answer carries change, so a read narrowed by fields[…] may show
	// less. Inject(FaultSpec{Kind: Drift}, n) drifts the next n SuiteCRM
	// reads (GET of one record or of a list) that return records. Class
	// version: the answer no longer fits the contract.
	Drift Kind = "drift"
)

// Kinds returns every fault kind in a fixed order.
func Kinds() []Kind {
	return []Kind{Slow, Stall, Reset, ResetMidBody, ServerError, Maintenance, Quota, SessionExpired,
		Permission, WrongField, BadFormat, RetiredVersion, NotFound, Duplicate, Lock, Partial, Weird, Drift}
}

// Class returns the name of the cause class crmguard should assign to a
// call that met a fault of kind k, as in DESIGN.md §3; "" for an unknown
// kind. For Partial it is the class of the failing items.
func (k Kind) Class() string {
	switch k {
	case Slow:
		return "ok"
	case Stall:
		return "timeout"
	case Reset, ResetMidBody:
		return "network"
	case ServerError:
		return "server"
	case Maintenance:
		return "unavailable"
	case Quota:
		return "rate_limit"
	case SessionExpired:
		return "auth"
	case Permission:
		return "permission"
	case WrongField:
		return "parameter"
	case BadFormat, Partial:
		return "data_format"
	case RetiredVersion, Drift:
		return "version"
	case NotFound:
		return "not_found"
	case Duplicate, Lock:
		return "conflict"
	case Weird:
		return "unknown"
	}
	return ""
}

// Supported reports whether dialect has a faithful way to express k. Odoo
// has no API quota, no retired versions, no duplicate or lock error of its
// own and no batch endpoint; HubSpot has no retired-version answer on its
// v3 paths and no lock error. SuiteCRM's V8 API has no quota, one version,
// no lock error and no batch endpoint, and it checks no value's format (it
// stores what it is given), so it has no bad-format answer either. Drift
// is SuiteCRM's alone: it is the dialect with a published contract
// (shared/contracts) for crmguard to hold its answers against.
func (k Kind) Supported(dialect string) bool {
	switch k {
	case Quota, Partial:
		return dialect == Salesforce || dialect == HubSpot
	case Duplicate:
		return dialect == Salesforce || dialect == HubSpot || dialect == SuiteCRM
	case RetiredVersion, Lock:
		return dialect == Salesforce
	case BadFormat:
		return dialect == Salesforce || dialect == HubSpot || dialect == Odoo
	case Drift:
		return dialect == SuiteCRM
	case "":
		return false
	}
	return k.Class() != "" && slices.Contains(Dialects(), dialect)
}

// applies reports whether k can be injected into o faithfully: a record
// that is not found needs a request naming one, a partial failure needs a
// batch of at least two items, and so on.
func (k Kind) applies(o *op) bool {
	if !k.Supported(o.dialect) {
		return false
	}
	if o.dialect == SuiteCRM {
		return o.suite.applies(k, o.method)
	}
	if o.dialect == Odoo && o.action == actMeta && (k == SessionExpired || k == Permission) {
		return false // service calls such as common.version need no session or rights
	}
	switch k {
	case WrongField:
		if o.dialect == Salesforce {
			return o.action == actList || o.action == actRead || o.action.writes()
		}
		return o.action.writes()
	case BadFormat:
		return o.action.writes()
	case RetiredVersion:
		return o.version != ""
	case NotFound:
		// HubSpot archives a missing record with 204, so its deletes never
		// answer not found.
		return o.action == actRead || o.action == actUpdate || o.action == actDelete && o.dialect != HubSpot
	case Duplicate:
		return o.action == actCreate && (o.dialect != HubSpot || o.object == "contacts")
	case Lock:
		return o.action.writes() || o.action == actDelete
	case Partial:
		return o.action == actBatch && o.items >= 2
	}
	return true
}

// FaultSpec says which fault to inject and into which requests.
type FaultSpec struct {
	Kind Kind
	// Dialect limits the fault to one dialect; "" means any dialect that
	// supports Kind.
	Dialect string
	// Method limits the fault to one HTTP method; "" means any.
	Method string
	// PathContains limits the fault to requests whose path, relative to
	// the dialect prefix, contains it; "" means any.
	PathContains string
	// Delay overrides SlowFor or StallFor for slow and stall faults.
	Delay time.Duration
}

// Matches reports whether spec's filters accept r and its kind can be
// injected into r.
func (spec FaultSpec) Matches(r Request) bool {
	return (spec.Dialect == "" || spec.Dialect == r.Dialect) &&
		(spec.Method == "" || strings.EqualFold(spec.Method, r.Method)) &&
		strings.Contains(r.Path, spec.PathContains) &&
		r.Applies(spec.Kind)
}

// validate reports why spec can never fire.
func (spec FaultSpec) validate() error {
	if spec.Kind.Class() == "" {
		return fmt.Errorf("unknown fault kind %q", spec.Kind)
	}
	if spec.Dialect != "" && !spec.Kind.Supported(spec.Dialect) {
		return fmt.Errorf("fault kind %q has no faithful form in dialect %q", spec.Kind, spec.Dialect)
	}
	return nil
}

// Fault is one fault the server injected.
type Fault struct {
	Kind    Kind
	Class   string // the cause class crmguard should assign
	Dialect string
	Method  string
	Path    string // relative to the dialect prefix
	Status  int    // the HTTP status sent; 0 when the connection was cut or the client left first
	Code    string // the vendor's error code, when the answer has one
	At      time.Time
}

// forcedFault is a pending Inject call.
type forcedFault struct {
	spec FaultSpec
	left int
}

// Inject forces spec onto the next n requests it matches, ahead of the
// schedule. Calls queue up; a request takes the oldest pending spec it
// matches. It fails for an unknown kind or a kind the named dialect cannot
// express.
func (s *Server) Inject(spec FaultSpec, n int) error {
	if err := spec.validate(); err != nil {
		return err
	}
	if n <= 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forced = append(s.forced, forcedFault{spec: spec, left: n})
	return nil
}

// Pending returns how many forced injections are still waiting for a
// matching request.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.forced {
		n += f.left
	}
	return n
}

// ClearInjections drops every pending forced injection.
func (s *Server) ClearInjections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forced = nil
}

// decide picks the fault for o, if any: a forced one first, then the
// schedule's choice if it applies to o.
func (s *Server) decide(o *op) (Fault, FaultSpec, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req := Request{Dialect: o.dialect, Method: o.method, Path: o.path, Now: s.opts.Now(), Roll: s.rnd.Float64(), op: o}
	spec, ok := s.takeForced(req)
	if !ok && s.schedule != nil {
		spec, ok = s.schedule.Pick(req)
		ok = ok && req.Applies(spec.Kind)
	}
	if !ok {
		return Fault{}, FaultSpec{}, false
	}
	f := Fault{Kind: spec.Kind, Class: spec.Kind.Class(), Dialect: o.dialect, Method: o.method, Path: o.path, At: req.Now}
	s.countInjected(f)
	return f, spec, true
}

// takeForced consumes one pending forced injection matching req.
func (s *Server) takeForced(req Request) (FaultSpec, bool) {
	for i := range s.forced {
		f := &s.forced[i]
		if !f.spec.Matches(req) {
			continue
		}
		spec := f.spec
		if f.left--; f.left == 0 {
			s.forced = slices.Delete(s.forced, i, i+1)
		}
		return spec, true
	}
	return FaultSpec{}, false
}
