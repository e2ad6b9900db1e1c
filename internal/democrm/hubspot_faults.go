package democrm

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// hsErr is one HubSpot error: {status, message, correlationId, category, …}.
type hsErr struct {
	status          int
	class, category string
	msg             string
	context         map[string][]string
	extra           obj // members between correlationId and category, such as errors and links
}

// error returns e as the API sends it, with o's correlation id.
func (d *hubspot) error(o *op, e *hsErr) answer {
	body := obj{{"status", "error"}, {"message", e.msg}, {"correlationId", o.hs.correlation}}
	if e.context != nil {
		body = append(body, kv{"context", e.context})
	}
	body = append(body, e.extra...)
	if e.category != "" {
		body = append(body, kv{"category", e.category})
	}
	a := jsonAnswer(e.status, e.class, body)
	a.code = e.category
	return a
}

// item returns e as an entry of a batch answer's errors[].
func (e *hsErr) item() obj {
	it := obj{{"status", "error"}, {"category", e.category}, {"message", e.msg}}
	if e.context != nil {
		it = append(it, kv{"context", e.context})
	}
	return it
}

// hsInvalidProperty is the VALIDATION_ERROR for one bad property value:
// HubSpot puts the per-property verdicts, JSON-encoded, into the message.
func hsInvalidProperty(name, code, msg, class string) *hsErr {
	detail, _ := json.Marshal([]obj{{
		{"isValid", false}, {"message", msg}, {"error", code}, {"name", name},
		{"localizedErrorMessage", msg}, {"portalId", hsPortalID},
	}})
	return &hsErr{status: http.StatusBadRequest, class: class, category: "VALIDATION_ERROR",
		msg: "Property values were not valid: " + string(detail), context: map[string][]string{"propertyName": {name}}}
}

// hsConflict is the 409 for a contact whose email another contact has;
// the existing id is only in the message.
func hsConflict(t hsType, existing string) *hsErr {
	return &hsErr{status: http.StatusConflict, class: "conflict", category: "CONFLICT",
		msg: fmt.Sprintf("%s already exists. Existing ID: %s", t.singular, existing)}
}

// hsNotFound is the 404 for a missing record.
func hsNotFound(id string) *hsErr {
	msg := "resource not found"
	if _, err := strconv.Atoi(id); err != nil {
		msg = "Object not found.  objectId are usually numeric."
	}
	return &hsErr{status: http.StatusNotFound, class: "not_found", category: "OBJECT_NOT_FOUND", msg: msg,
		context: map[string][]string{"id": {id}}}
}

// hsBadJSON is the 400 for a body that is not the JSON expected.
func hsBadJSON(err error) *hsErr {
	return &hsErr{status: http.StatusBadRequest, class: "data_format", category: "VALIDATION_ERROR",
		msg: "Invalid input JSON on line 1, column 1: " + err.Error()}
}

// fault answers o with a fault of kind k the way HubSpot reports it.
func (d *hubspot) fault(o *op, k Kind) answer {
	t := o.hs.typ
	switch k {
	case ServerError:
		// HubSpot's 500s carry no category.
		return d.error(o, &hsErr{status: http.StatusInternalServerError, class: "server", msg: "internal error"})
	case Maintenance:
		a := pageAnswer(http.StatusServiceUnavailable, "unavailable", "text/html",
			"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n")
		a.header.Set("Retry-After", "60")
		return a
	case Quota:
		return d.rateLimited(o)
	case SessionExpired:
		return d.error(o, &hsErr{status: http.StatusUnauthorized, class: "auth", category: "EXPIRED_AUTHENTICATION",
			msg: fmt.Sprintf("The OAuth token used to make this call expired %d second(s) ago.", 1+d.s.randN(1800))})
	case Permission:
		access := "read"
		if o.action.writes() || o.action == actDelete {
			access = "write"
		}
		return d.error(o, &hsErr{status: http.StatusForbidden, class: "permission", category: "MISSING_SCOPES",
			msg: "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
			extra: obj{
				{"errors", []obj{{{"message", "One or more of the following scopes are required."},
					{"context", map[string][]string{"requiredScopes": {"crm.objects." + t.name + "." + access}}}}}},
				{"links", obj{{"scopes", "https://developers.hubspot.com/scopes"}}},
			}})
	case WrongField:
		return d.error(o, hsInvalidProperty("customer_tier", "PROPERTY_DOESNT_EXIST", `Property "customer_tier" does not exist`, "parameter"))
	case BadFormat:
		return d.error(o, hsBadEmail())
	case NotFound:
		return d.error(o, hsNotFound(cmp.Or(o.hs.id, "0")))
	case Duplicate:
		recs := d.s.store.all(t.table())
		id := strconv.Itoa(t.base + 1)
		if len(recs) > 0 {
			id = recs[d.s.randN(len(recs))].id
		}
		return d.error(o, hsConflict(t, id))
	case Partial:
		return d.batch(o, func(i int) *hsErr {
			if i%2 == 1 {
				return hsBadEmail()
			}
			return nil
		})
	case Weird:
		return pageAnswer(http.StatusTeapot, "unknown", "text/plain; charset=utf-8", "I'm a teapot\n")
	}
	return d.error(o, &hsErr{status: http.StatusInternalServerError, class: "server", msg: "internal error"})
}

// hsBadEmail is the VALIDATION_ERROR for a malformed email address.
func hsBadEmail() *hsErr {
	return hsInvalidProperty("email", "INVALID_EMAIL", "Email address ada.lovelace@northwind is invalid", "data_format")
}

// rateLimited answers 429, alternating between the ten-second and the
// daily policy, with the matching remaining-calls header at zero.
func (d *hubspot) rateLimited(o *op) answer {
	d.s.mu.Lock()
	d.s.usage.hsQuota++
	daily := d.s.usage.hsQuota%2 == 0
	d.s.mu.Unlock()
	msg, policy, header := "You have reached your ten_secondly_rolling limit.", "TEN_SECONDLY_ROLLING", "X-HubSpot-RateLimit-Remaining"
	if daily {
		msg, policy, header = "You have reached your daily limit.", "DAILY", "X-HubSpot-RateLimit-Daily-Remaining"
	}
	a := jsonAnswer(http.StatusTooManyRequests, "rate_limit", obj{
		{"status", "error"}, {"message", msg}, {"errorType", "RATE_LIMIT"}, {"correlationId", o.hs.correlation},
		{"policyName", policy}, {"requestId", d.s.uuid()},
	})
	a.code = "RATE_LIMIT"
	a.header.Set(header, "0")
	return a
}
