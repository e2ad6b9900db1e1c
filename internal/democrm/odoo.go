package democrm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// odoo speaks Odoo's external APIs: JSON-RPC at /jsonrpc (and the web
// client's /web/session/authenticate and /web/dataset/call_kw) and the
// JSON-2 API at /json/2/{model}/{method}. JSON-RPC reports every error
// inside HTTP 200; JSON-2 uses 4xx/5xx statuses. The JSON-RPC error code is
// Odoo 16/17's (200; 100 for an expired session).
type odoo struct{ s *Server }

// odooProto is the protocol of an Odoo request.
type odooProto uint8

const (
	odooUnknown odooProto = iota
	odooRPC               // /jsonrpc
	odooAuth              // /web/session/authenticate
	odooCallKw            // /web/dataset/call_kw[/model/method]
	odooJSON2             // /json/2/{model}/{method}
)

// odooCall is the Odoo part of an op: one model method call, or a service
// call such as common.version.
type odooCall struct {
	proto    odooProto
	id       json.RawMessage // the JSON-RPC request id, echoed back
	badJSON  bool
	service  string // JSON-RPC service: common or object
	function string // the service function: execute_kw, version, login…
	args     []any  // the service function's arguments
	model    string
	method   string
	margs    []any // positional arguments of the model method
	kwargs   map[string]any
	password string
	uid      any
	session  string
}

// odooEnvelope is a JSON-RPC 2.0 request.
type odooEnvelope struct {
	ID     json.RawMessage `json:"id"`
	Params struct {
		Service string         `json:"service"`
		Method  string         `json:"method"`
		Args    []any          `json:"args"`
		Model   string         `json:"model"`
		KWArgs  map[string]any `json:"kwargs"`
		DB      string         `json:"db"`
		Login   string         `json:"login"`
		Pass    string         `json:"password"`
	} `json:"params"`
}

func (d *odoo) parse(r *http.Request, path string) *op {
	o := newOp(Odoo, r, path)
	c := &odooCall{id: json.RawMessage("null")}
	o.odoo = c
	if ck, err := r.Cookie("session_id"); err == nil {
		c.session = ck.Value
	}
	switch {
	case path == "/jsonrpc":
		c.proto = odooRPC
	case path == "/web/session/authenticate":
		c.proto = odooAuth
	case path == "/web/dataset/call_kw" || strings.HasPrefix(path, "/web/dataset/call_kw/"):
		c.proto = odooCallKw
	case strings.HasPrefix(path, "/json/2/"):
		c.proto = odooJSON2
		model, method, _ := strings.Cut(strings.TrimPrefix(path, "/json/2/"), "/")
		c.model, c.method = model, method
		dec := json.NewDecoder(bytes.NewReader(o.body))
		if len(bytes.TrimSpace(o.body)) > 0 && dec.Decode(&c.kwargs) != nil {
			c.badJSON = true
		}
		if c.kwargs == nil {
			c.kwargs = map[string]any{}
		}
		d.classify(o)
		return o
	default:
		return o
	}
	var env odooEnvelope
	if err := json.Unmarshal(o.body, &env); err != nil {
		c.badJSON = true
		return o
	}
	if len(env.ID) > 0 {
		c.id = env.ID
	}
	p := env.Params
	switch c.proto {
	case odooRPC:
		c.service, c.function, c.args = p.Service, p.Method, p.Args
		if c.service == "object" && (c.function == "execute_kw" || c.function == "execute") && len(c.args) >= 5 {
			c.uid, c.password = c.args[1], fmt.Sprint(c.args[2])
			c.model, _ = c.args[3].(string)
			c.method, _ = c.args[4].(string)
			c.margs = c.args[5:]
			if c.function == "execute_kw" {
				c.margs, c.kwargs = nil, map[string]any{}
				if len(c.args) > 5 {
					c.margs, _ = c.args[5].([]any)
				}
				if len(c.args) > 6 {
					c.kwargs, _ = c.args[6].(map[string]any)
				}
			}
		}
	case odooAuth:
		c.args = []any{p.DB, p.Login, p.Pass}
	case odooCallKw:
		c.model, c.method, c.margs, c.kwargs = p.Model, p.Method, p.Args, p.KWArgs
	}
	d.classify(o)
	return o
}

// classify sets the op's action from the model method.
func (d *odoo) classify(o *op) {
	c := o.odoo
	o.object = c.model
	switch c.method {
	case "read":
		o.action = actRead
	case "search_read", "search", "search_count", "name_search":
		o.action = actList
	case "create":
		o.action = actCreate
	case "write":
		o.action = actUpdate
	case "unlink":
		o.action = actDelete
	}
}

func (d *odoo) answer(o *op) answer {
	c := o.odoo
	switch {
	case c.proto == odooUnknown:
		return odooPage(http.StatusNotFound, "parameter", "Not Found",
			"The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.")
	case o.method != http.MethodPost:
		return odooPage(http.StatusMethodNotAllowed, "parameter", "Method Not Allowed", "The method is not allowed for the requested URL.")
	case c.badJSON && c.proto == odooJSON2:
		return d.json2Error(o, &odooErr{name: "werkzeug.exceptions.BadRequest", msg: "could not parse the body as json", class: "parameter", status: http.StatusBadRequest})
	case c.badJSON:
		return odooPage(http.StatusBadRequest, "parameter", "Bad Request", "Invalid JSON data")
	case c.proto == odooJSON2:
		return d.json2(o)
	}
	res, e := d.rpc(o)
	if e != nil {
		return d.rpcError(o, e)
	}
	return d.rpcResult(o, res)
}

// rpc runs a JSON-RPC call: a service function or, through object or the
// web client, a model method.
func (d *odoo) rpc(o *op) (any, *odooErr) {
	c := o.odoo
	switch c.proto {
	case odooAuth:
		return d.authenticate(o)
	case odooCallKw:
		if !d.s.hasSession(c.session) {
			return nil, odooSessionExpired()
		}
		return d.execute(c.model, c.method, nil, c.margs, c.kwargs)
	}
	switch c.service + "." + c.function {
	case "common.version":
		return odooVersion(), nil
	case "common.login", "common.authenticate":
		if len(c.args) < 3 || fmt.Sprint(c.args[2]) == "" {
			return false, nil
		}
		return 2, nil
	case "object.execute_kw", "object.execute":
		if len(c.args) < 5 {
			return nil, &odooErr{name: "builtins.TypeError", class: "parameter",
				msg: fmt.Sprintf("execute_kw() missing %d required positional arguments", 5-len(c.args))}
		}
		if uid, ok := c.uid.(float64); !ok || uid <= 0 || c.password == "" {
			return nil, &odooErr{name: "odoo.exceptions.AccessDenied", msg: "Access Denied", class: "auth", status: http.StatusUnauthorized}
		}
		return d.execute(c.model, c.method, nil, c.margs, c.kwargs)
	}
	return nil, &odooErr{name: "builtins.KeyError", msg: fmt.Sprintf("'%s'", c.function), class: "parameter"}
}

// odooVersion is what common.version answers.
func odooVersion() obj {
	return obj{{"server_version", "17.0"}, {"server_version_info", []any{17, 0, 0, "final", 0, ""}},
		{"server_serie", "17.0"}, {"protocol_version", 1}}
}

// authenticate opens a web session: any login with a non-empty password.
func (d *odoo) authenticate(o *op) (any, *odooErr) {
	c := o.odoo
	login, _ := c.args[1].(string)
	pass, _ := c.args[2].(string)
	if login == "" || pass == "" {
		return nil, &odooErr{name: "odoo.exceptions.AccessDenied", msg: "Access Denied", class: "auth", status: http.StatusUnauthorized}
	}
	sid := strings.ReplaceAll(d.s.uuid()+d.s.uuid(), "-", "")[:40] // Odoo session ids are 40 characters
	d.s.mu.Lock()
	d.s.sessions[sid] = true
	d.s.mu.Unlock()
	c.session = sid
	return obj{{"uid", 2}, {"is_system", true}, {"is_admin", true}, {"name", "Mitchell Admin"}, {"username", login},
		{"partner_id", 3}, {"db", c.args[0]}, {"server_version", "17.0"},
		{"user_context", obj{{"lang", "en_US"}, {"tz", "Europe/Brussels"}, {"uid", 2}}}}, nil
}

// hasSession reports whether sid is an open web session.
func (s *Server) hasSession(sid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[sid]
}

// rpcResult wraps a result in a JSON-RPC response.
func (d *odoo) rpcResult(o *op, res any) answer {
	a := jsonAnswer(http.StatusOK, "ok", obj{{"jsonrpc", "2.0"}, {"id", o.odoo.id}, {"result", res}})
	if o.odoo.proto == odooAuth {
		a.header.Set("Set-Cookie", "session_id="+o.odoo.session+"; Max-Age=604800; HttpOnly; Path=/; SameSite=Lax")
	}
	return a
}

// decorate sets the JSON content type Odoo uses.
func (d *odoo) decorate(_ *op, a *answer) {
	if !a.bare && a.header.Get("Content-Type") == "" && len(a.body) > 0 {
		a.header.Set("Content-Type", "application/json; charset=utf-8")
	}
}

// odooPage is werkzeug's HTML error page, which Odoo sends outside the
// JSON-RPC envelope for requests it cannot route or parse.
func odooPage(status int, class, title, text string) answer {
	return pageAnswer(status, class, "text/html; charset=utf-8", fmt.Sprintf(
		"<!doctype html>\n<html lang=en>\n<title>%d %s</title>\n<h1>%s</h1>\n<p>%s</p>\n", status, title, title, text))
}
