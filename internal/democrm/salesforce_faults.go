package democrm

import (
	"fmt"
	"net/http"
	"strings"
)

// fault answers o with a fault of kind k the way Salesforce reports it.
func (d *salesforce) fault(o *op, k Kind) answer {
	ob := d.objectOf(o)
	switch k {
	case ServerError:
		return sfError(http.StatusInternalServerError, "server", "UNKNOWN_EXCEPTION", fmt.Sprintf(
			"An unexpected error occurred. Please include this ErrorId if you contact support: %d-%d (%d)",
			1_000_000_000+d.s.randN(900_000_000), 10_000+d.s.randN(90_000), -d.s.randN(2_000_000_000))).answer()
	case Maintenance:
		a := sfError(http.StatusServiceUnavailable, "unavailable", "SERVER_UNAVAILABLE",
			"Server temporarily unavailable for maintenance. Please try again later.").answer()
		a.header.Set("Retry-After", "120")
		return a
	case Quota:
		return sfQuotaExceeded(o.sf.usage)
	case SessionExpired:
		return sfSessionExpired()
	case Permission:
		return sfError(http.StatusForbidden, "permission", "INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id").answer()
	case WrongField:
		if o.action.writes() {
			return sfError(http.StatusBadRequest, "parameter", "INVALID_FIELD", fmt.Sprintf("No such column 'Foo__c' on sobject of type %s", ob.name)).answer()
		}
		return sfError(http.StatusBadRequest, "parameter", "INVALID_FIELD", sfNoColumn("Foo__c", ob.name)).answer()
	case BadFormat:
		e := d.badValue(o, ob)
		if o.action == actBatch {
			return d.collection(o, func(int) *sfErr { return e })
		}
		return e.answer()
	case RetiredVersion:
		return sfGone(o)
	case NotFound:
		return sfError(http.StatusNotFound, "not_found", "NOT_FOUND", "The requested resource does not exist").answer()
	case Duplicate:
		if unique := sfUnique(ob); unique != "" {
			recs := d.s.store.all(ob.table())
			id := sfID(ob.prefix, 1)
			if len(recs) > 0 {
				id = recs[d.s.randN(len(recs))].id
			}
			return (&sfErr{status: http.StatusBadRequest, class: "conflict", code: "DUPLICATE_VALUE", fields: []string{},
				msg: fmt.Sprintf("duplicate value found: %s duplicates value on record with id: %s", unique, id)}).answer()
		}
		return (&sfErr{status: http.StatusBadRequest, class: "conflict", code: "DUPLICATES_DETECTED", fields: []string{},
			msg: "Use one of these records?"}).answer()
	case Lock:
		e := &sfErr{status: http.StatusBadRequest, class: "conflict", code: "UNABLE_TO_LOCK_ROW",
			msg: "unable to obtain exclusive access to this record", fields: []string{}}
		if o.action == actBatch {
			return d.collection(o, func(int) *sfErr { return e })
		}
		return e.answer()
	case Partial:
		e := d.badValue(o, ob)
		return d.collection(o, func(i int) *sfErr {
			if i%2 == 1 {
				return e
			}
			return nil
		})
	case Weird:
		return pageAnswer(http.StatusTeapot, "unknown", "text/plain; charset=utf-8", "I'm a teapot\n")
	}
	return sfError(http.StatusInternalServerError, "server", "UNKNOWN_EXCEPTION", "An unexpected error occurred.").answer()
}

// objectOf returns the object o is about: the one in its path, the one its
// query selects from, or Contact.
func (d *salesforce) objectOf(o *op) sfObject {
	if o.sf.known {
		return o.sf.object
	}
	if s, e := parseSOQL(o.query.Get("q")); e == nil {
		if ob, ok := sfLookup(s.object); ok {
			return ob
		}
	}
	ob, _ := sfLookup("Contact")
	return ob
}

// badValue returns a data-format error for ob, alternating between a value
// too long for its field and a value of the wrong type.
func (d *salesforce) badValue(o *op, ob sfObject) *sfErr {
	if d.s.nextVariant() == 0 {
		name := map[string]string{"Contact": "LastName", "Account": "Name"}[ob.name]
		f, _ := ob.field(name)
		return sfStringTooLong(f, strings.Repeat("Featherstonehaugh-Cholmondeley ", f.length/30+1))
	}
	name, value := "Birthdate", "31/12/1980"
	if ob.name == "Account" {
		name, value = "NumberOfEmployees", "twelve"
	}
	f, _ := ob.field(name)
	return sfError(http.StatusBadRequest, "data_format", "INVALID_TYPE_ON_FIELD_IN_RECORD",
		fmt.Sprintf("%s: value not of required type: %s", f.label, value), f.name)
}

// sfGone is the answer on a retired API version: REST answers 410 GONE
// (help article 000354473; errorCode GONE as restforce issue #941 saw it).
func sfGone(o *op) answer {
	return sfError(http.StatusGone, "version", "GONE", fmt.Sprintf(
		"The requested API version (v%s) has been retired. Use API version %.1f or later.", o.version, sfOldest)).answer()
}

// sfQuotaExceeded is the answer once the org's daily API requests are used
// up: 403, not 429.
func sfQuotaExceeded(usage int) answer {
	a := sfError(http.StatusForbidden, "rate_limit", "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.").answer()
	a.header.Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", max(usage, sfDailyLimit+1), sfDailyLimit))
	return a
}

// sfSessionExpired is the answer to an expired or missing session.
func sfSessionExpired() answer {
	a := sfError(http.StatusUnauthorized, "auth", "INVALID_SESSION_ID", "Session expired or invalid").answer()
	a.header.Set("WWW-Authenticate", "Token")
	return a
}

// randN returns a draw in [0, n) from the server's seeded source.
func (s *Server) randN(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rnd.IntN(n)
}
