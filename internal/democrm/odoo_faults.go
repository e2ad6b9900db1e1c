package democrm

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// odooErr is a Python exception raised while serving an Odoo request.
type odooErr struct {
	name   string // qualified class name, such as odoo.exceptions.AccessError
	msg    string
	class  string // the cause class crmguard should assign
	status int    // the JSON-2 status; 0 means 500
	// rpcCode and rpcMessage override the JSON-RPC error code (200) and
	// message ("Odoo Server Error").
	rpcCode    int
	rpcMessage string
}

// data is serialize_exception's output: {name, message, arguments,
// context, debug}.
func (e *odooErr) data() obj {
	return obj{{"name", e.name}, {"message", e.msg}, {"arguments", []any{e.msg}}, {"context", obj{}},
		{"debug", "Traceback (most recent call last):\n" +
			"  File \"/usr/lib/python3/dist-packages/odoo/http.py\", line 1784, in _serve_db\n" +
			"    return service_model.retrying(self._serve_ir_http, self.env)\n" +
			"  File \"/usr/lib/python3/dist-packages/odoo/service/model.py\", line 133, in retrying\n" +
			"    result = func()\n" +
			e.name + ": " + e.msg + "\n"}}
}

// rpcError wraps e in a JSON-RPC response: always HTTP 200.
func (d *odoo) rpcError(o *op, e *odooErr) answer {
	code, msg := 200, "Odoo Server Error"
	if e.rpcCode != 0 {
		code, msg = e.rpcCode, e.rpcMessage
	}
	a := jsonAnswer(http.StatusOK, e.class, obj{{"jsonrpc", "2.0"}, {"id", o.odoo.id},
		{"error", obj{{"code", code}, {"message", msg}, {"data", e.data()}}}})
	a.code = e.name
	return a
}

// json2Error is a JSON-2 error: the serialized exception with a 4xx/5xx
// status.
func (d *odoo) json2Error(_ *op, e *odooErr) answer {
	status := e.status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	a := jsonAnswer(status, e.class, e.data())
	a.code = e.name
	return a
}

// json2 answers POST /json/2/{model}/{method}: the body holds the
// recordset ids and the method's keyword arguments; a success is the bare
// return value.
func (d *odoo) json2(o *op) answer {
	c := o.odoo
	if d.s.opts.RequireAuth && !hasBearer(o.header) {
		return d.json2Error(o, odooInvalidAPIKey())
	}
	kwargs := map[string]any{}
	var ids []int
	for k, v := range c.kwargs {
		switch k {
		case "ids":
			ids, _ = toInts(v)
			if ids == nil {
				ids = []int{}
			}
		case "context":
		default:
			kwargs[k] = v
		}
	}
	res, e := d.execute(c.model, c.method, ids, nil, kwargs)
	if e != nil {
		return d.json2Error(o, e)
	}
	return jsonAnswer(http.StatusOK, "ok", res)
}

// odooSessionExpired is raised for a web request without a valid session.
func odooSessionExpired() *odooErr {
	return &odooErr{name: "odoo.http.SessionExpiredException", msg: "Session expired", class: "auth",
		status: http.StatusForbidden, rpcCode: 100, rpcMessage: "Odoo Session Expired"}
}

// odooInvalidAPIKey is JSON-2's answer to a missing or expired API key.
func odooInvalidAPIKey() *odooErr {
	return &odooErr{name: "werkzeug.exceptions.Unauthorized", msg: "Invalid apikey", class: "auth", status: http.StatusUnauthorized}
}

// fault answers o with a fault of kind k the way Odoo reports it:
// inside HTTP 200 over JSON-RPC, with a status over JSON-2.
func (d *odoo) fault(o *op, k Kind) answer {
	c := o.odoo
	var e *odooErr
	switch k {
	case ServerError:
		e = &odooErr{name: "builtins.TypeError", msg: "'NoneType' object is not subscriptable", class: "server"}
	case Maintenance:
		a := pageAnswer(http.StatusServiceUnavailable, "unavailable", "text/html; charset=utf-8",
			"<!DOCTYPE html>\n<html>\n<head><title>Odoo - Maintenance</title></head>\n<body>\n<h1>Odoo is under maintenance</h1>\n"+
				"<p>This database is being upgraded. It will be back online in a few minutes.</p>\n</body>\n</html>\n")
		a.header.Set("Retry-After", "300")
		return a
	case SessionExpired:
		if c.proto == odooJSON2 {
			return d.json2Error(o, odooInvalidAPIKey())
		}
		e = odooSessionExpired()
	case Permission:
		verb := map[action]string{actCreate: "create", actUpdate: "modify", actDelete: "delete"}[o.action]
		if verb == "" {
			verb = "access"
		}
		e = &odooErr{name: "odoo.exceptions.AccessError", class: "permission", status: http.StatusForbidden, msg: fmt.Sprintf(
			"You are not allowed to %s 'Contact' (res.partner) records.\n\nThis operation is allowed for the following groups:\n\t- Extra Rights/Contact Creation\n\nContact your administrator to request access if necessary.", verb)}
	case WrongField:
		e = &odooErr{name: "builtins.ValueError", msg: "Invalid field 'x_customer_tier' on model 'res.partner'", class: "parameter"}
	case BadFormat:
		e = odooNameRequired()
	case NotFound:
		id := 4242
		if ids, ok := toInts(odooIDs(c)); ok && len(ids) > 0 {
			id = ids[0]
		}
		e = odooMissing([]int{id})
	case Weird:
		return pageAnswer(http.StatusTeapot, "unknown", "text/plain; charset=utf-8", "I'm a teapot\n")
	default:
		e = &odooErr{name: "builtins.RuntimeError", msg: "unexpected fault " + string(k), class: "server"}
	}
	if c.proto == odooJSON2 {
		return d.json2Error(o, e)
	}
	return d.rpcError(o, e)
}

// odooIDs returns the ids a call names: the ids key of JSON-2, or the first
// positional argument of a record method.
func odooIDs(c *odooCall) any {
	if v, ok := c.kwargs["ids"]; ok {
		return v
	}
	if len(c.margs) > 0 {
		return c.margs[0]
	}
	return nil
}

// odooRecordName is the Python repr of a partner recordset.
func odooRecordName(ids []int) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(id)
	}
	return "res.partner(" + strings.Join(parts, ", ") + ",)"
}
