package democrm

import (
	"cmp"
	"fmt"
	"net/http"
)

// applies reports whether a fault of kind k fits this SuiteCRM request:
// the answers of a controller (permission, not found, duplicates, wrong
// fields) need a request that reaches one, on a module the sample has.
func (q *suiteRequest) applies(k Kind, method string) bool {
	switch k {
	case Slow, Stall, Reset, ResetMidBody, ServerError, Maintenance, Weird:
		return true
	}
	if !q.allowed || q.route < scLogout {
		return false // Slim's own pages and the OAuth server answer these
	}
	if k == SessionExpired {
		return true
	}
	if q.mod == nil {
		return false
	}
	switch k {
	case Permission:
		return q.route == scList || q.route == scRecord || q.route == scModule
	case WrongField:
		return q.route == scList || q.route == scModule || q.route == scRecord && method == http.MethodGet
	case NotFound:
		return q.id != "" && (q.route == scRecord || q.route >= scRelate || q.route == scModule && method == http.MethodPatch)
	case Duplicate:
		return q.route == scModule && method == http.MethodPost
	case Drift:
		return q.reads > 0
	}
	return false
}

// fault answers o with a fault of kind k in SuiteCRM's words.
func (d *suitecrm) fault(o *op, k Kind) answer {
	q := o.suite
	switch k {
	case ServerError:
		return d.serverError(o)
	case Maintenance:
		// SuiteCRM has no maintenance mode of its own: the web server in
		// front answers while the instance is being upgraded.
		a := pageAnswer(http.StatusServiceUnavailable, "unavailable", "text/html; charset=iso-8859-1",
			"<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>503 Service Unavailable</title>\n</head><body>\n<h1>Service Unavailable</h1>\n<p>The server is temporarily unable to service your\nrequest due to maintenance downtime or capacity\nproblems. Please try again later.</p>\n<hr>\n<address>Apache/2.4.62 (Debian) Server at crm.example Port 443</address>\n</body></html>\n")
		a.header.Set("Retry-After", "300")
		return a
	case SessionExpired:
		return oauthDenied("Access token is invalid").answer()
	case Permission:
		return controllerErr("permission", "[AccessDeniedException] ").answer()
	case WrongField:
		return suiteWrongField(q).answer()
	case NotFound:
		// Relationship routes load their source bean in ParamsMiddleware.
		e := controllerErr("not_found", fmt.Sprintf("%s module with id %s is not found", q.mod.name, q.id))
		e.params = q.route >= scRelate
		return e.answer()
	case Duplicate:
		return controllerErr("conflict", fmt.Sprintf("Bean %s with id %s is already exist", q.module, d.takenID(q))).answer()
	case Drift:
		q.drift = true
		a := d.answer(o)
		a.class = "version"
		return a
	case Weird:
		return pageAnswer(http.StatusTeapot, "unknown", "text/plain; charset=utf-8", "I'm a teapot\n")
	}
	return slimError(q.accept)
}

// serverError alternates between SuiteCRM's two faces of an internal
// failure: a PHP error that only Slim's error page catches (500), and a
// failed SQL statement that the V8 controllers answer like any exception
// (400 with the database failure text). The token endpoint's OAuth server
// reports its own.
func (d *suitecrm) serverError(o *op) answer {
	q := o.suite
	switch {
	case q.route == scToken:
		return (&oauthErr{status: http.StatusInternalServerError, class: "server", label: "server_error",
			msg: "The authorization server encountered an unexpected condition which prevented it from fulfilling the request: unable to save the access token"}).answer()
	case q.route > scLogout && q.allowed && d.s.nextVariant() == 1:
		return suiteDBFailure().answer()
	}
	return slimError(q.accept)
}

// suiteWrongField is the error for a field the module does not have, as
// the request names it: a filter field in a list, a fields[…] name in a
// read, an attribute in a write.
func suiteWrongField(q *suiteRequest) *suiteErr {
	const name = "customer_tier_c"
	switch q.route {
	case scList:
		return paramErr(fmt.Sprintf("Filter field %s in %s module is not found", name, q.mod.object))
	case scRecord:
		return paramErr(fmt.Sprintf("The following field in %s module is not found: %s", q.mod.object, name))
	}
	return paramErr(fmt.Sprintf("Property %s in %s module is invalid", name, q.mod.object))
}

// takenID is the id a duplicate create collides with: the one the body
// names, or else an existing record's, as if the client had sent it.
func (d *suitecrm) takenID(q *suiteRequest) string {
	recs := d.s.store.all(q.mod.table())
	if len(recs) == 0 {
		return cmp.Or(q.id, suiteID(q.mod.name, 1))
	}
	return cmp.Or(q.id, recs[d.s.randN(len(recs))].id)
}
