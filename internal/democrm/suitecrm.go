package democrm

import (
	"fmt"
	"html"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// SuiteCRM's V8 API is a Slim 3 application under /Api (/legacy/Api in a
// SuiteCRM 8 install; both are served here): an OAuth2 token endpoint at
// /Api/access_token and the JSON:API routes of shared/contracts/
// suitecrm-v8-swagger.json under /Api/V8. Its answers follow the PHP
// source (salesagility/SuiteCRM Api/V8): controllers turn every exception
// into HTTP 400 with {"errors": {status, title, detail}}, parameters are
// checked by Symfony's OptionsResolver before a controller runs, and the
// OAuth server (league/oauth2-server) answers {error, message, hint}.

// The media types of the V8 answers: controllers send JSON:API, while
// ParamsMiddleware answers its errors with Slim's withJson.
const (
	suiteMediaType = "application/vnd.api+json"
	slimJSON       = "application/json;charset=utf-8"
)

// suitecrm speaks SuiteCRM's V8 JSON:API and its OAuth2 token endpoint.
type suitecrm struct {
	s *Server

	mu     sync.Mutex
	tokens map[string]suiteToken // access tokens /Api/access_token issued, by token
}

func newSuiteCRM(s *Server) *suitecrm { return &suitecrm{s: s, tokens: map[string]suiteToken{}} }

// suiteRoute is the route a request matched.
type suiteRoute uint8

const (
	scOutside  suiteRoute = iota // outside /Api: the web server's own 404
	scUnrouted                   // under /Api but matching no route: Slim's 404
	scToken                      // /access_token
	scLogout                     // /V8/logout
	scModule                     // /V8/module: POST creates, PATCH updates
	scList                       // /V8/module/{moduleName}
	scRecord                     // /V8/module/{moduleName}/{id}
	scRelate                     // /V8/module/{moduleName}/{id}/relationships
	scRelated                    // /V8/module/{moduleName}/{id}/relationships/{linkFieldName}
	scUnrelate                   // /V8/module/{moduleName}/{id}/relationships/{linkFieldName}/{relatedBeanId}
)

// methods returns the methods routes.php maps for r.
func (r suiteRoute) methods() []string {
	switch r {
	case scToken, scLogout, scRelate:
		return []string{http.MethodPost}
	case scModule:
		return []string{http.MethodPost, http.MethodPatch}
	case scList, scRelated:
		return []string{http.MethodGet}
	case scRecord:
		return []string{http.MethodGet, http.MethodDelete}
	case scUnrelate:
		return []string{http.MethodDelete}
	}
	return nil
}

// suiteRequest is the SuiteCRM part of an op.
type suiteRequest struct {
	route   suiteRoute
	allowed bool   // the route takes the method
	api     string // the path below /Api, as Slim's getPath gives it and links carry it
	accept  string // the Accept header, which picks the format of Slim's own pages

	args  map[string]string // route placeholders: moduleName, id, linkFieldName, relatedBeanId
	query map[string]any    // the query as PHP parses it
	pairs []suitePair       // the query as sent, for pagination links
	body  map[string]any    // the body as Slim parses it; nil when it has none
	// broken marks a JSON body that decodes to a scalar: Slim's body
	// parser throws on it, which ends in its 500 page.
	broken bool

	module string       // the module the request names, in the path or in data.type
	mod    *suiteModule // nil when SuiteCRM has no such module here
	id     string       // the record the request names, in the path or in data.id

	auth  *oauthErr // the resource server's objection; nil when it has none or is off
	reads int       // records a GET would return, for drift
	drift bool      // set while a drift fault is answered
}

func (d *suitecrm) parse(r *http.Request, path string) *op {
	o := newOp(SuiteCRM, r, path)
	q := &suiteRequest{args: map[string]string{}, accept: r.Header.Get("Accept")}
	o.suite = q
	q.route, q.api = suiteMatch(path, q.args)
	q.allowed = slices.Contains(q.route.methods(), o.method)
	q.query, q.pairs = phpQuery(r.URL.RawQuery)
	q.body, q.broken = slimBody(r.Header, o.body)
	q.module, q.id = q.args["moduleName"], q.args["id"]
	if q.route == scModule {
		if data, ok := phpArray(q.body["data"]); ok {
			q.module, _ = data["type"].(string)
			q.id, _ = data["id"].(string)
		}
	}
	q.mod = suiteLookup(q.module)
	o.object = q.module
	o.action = suiteAction(q.route, o.method)
	if !q.allowed || q.route < scToken {
		o.action = actMeta
		return o
	}
	if d.s.opts.RequireAuth && q.route != scToken {
		q.auth = d.checkBearer(o.header)
	}
	if q.auth == nil && !q.broken && o.method == http.MethodGet && (q.route == scList || q.route == scRecord) {
		q.reads = d.reads(o)
	}
	return o
}

// suiteMatch finds the route of path, relative to the dialect prefix, and
// fills args with its placeholders. Like FastRoute's, a placeholder is one
// non-empty path segment.
func suiteMatch(path string, args map[string]string) (suiteRoute, string) {
	api, ok := strings.CutPrefix(strings.TrimPrefix(path, "/legacy"), "/Api")
	if !ok || (api != "" && !strings.HasPrefix(api, "/")) {
		return scOutside, ""
	}
	segs := strings.Split(strings.TrimPrefix(api, "/"), "/")
	if slices.Contains(segs, "") {
		return scUnrouted, api
	}
	switch {
	case len(segs) == 1 && segs[0] == "access_token":
		return scToken, api
	case len(segs) < 2 || segs[0] != "V8":
		return scUnrouted, api
	case len(segs) == 2 && segs[1] == "logout":
		return scLogout, api
	case segs[1] != "module":
		return scUnrouted, api
	}
	segs = segs[2:]
	names := []string{"moduleName", "id", "", "linkFieldName", "relatedBeanId"}
	for i, s := range segs {
		if i >= len(names) || (i == 2 && s != "relationships") {
			return scUnrouted, api
		}
		if names[i] != "" {
			args[names[i]] = s
		}
	}
	return []suiteRoute{scModule, scList, scRecord, scRelate, scRelated, scUnrelate}[len(segs)], api
}

// suiteAction returns what a request on route does, for fault matching.
func suiteAction(r suiteRoute, method string) action {
	switch {
	case r == scList:
		return actList
	case r == scRecord && method == http.MethodGet, r == scRelated:
		return actRead
	case r == scModule && method == http.MethodPost:
		return actCreate
	case r == scModule, r == scRelate:
		return actUpdate
	case r == scRecord, r == scUnrelate:
		return actDelete
	}
	return actMeta
}

func (d *suitecrm) answer(o *op) answer {
	q := o.suite
	switch {
	case q.route == scOutside:
		return apacheNotFound(o.path)
	case q.route == scUnrouted:
		return slimNotFound(q.accept)
	case !q.allowed:
		return slimNotAllowed(o.method, q.route.methods(), q.accept)
	case q.route == scToken:
		return d.accessToken(o)
	case q.auth != nil:
		return q.auth.answer()
	case q.broken:
		return slimError(q.accept)
	}
	var e *suiteErr
	var a answer
	switch q.route {
	case scLogout:
		return d.logout(o)
	case scList:
		a, e = d.list(o)
	case scRecord:
		if o.method == http.MethodGet {
			a, e = d.get(o)
		} else {
			a, e = d.remove(o)
		}
	case scModule:
		if o.method == http.MethodPost {
			a, e = d.create(o)
		} else {
			a, e = d.update(o)
		}
	case scRelated:
		a, e = d.related(o)
	case scRelate:
		a, e = d.relate(o)
	case scUnrelate:
		a, e = d.unrelate(o)
	}
	switch {
	case e != nil && e.crash:
		return slimError(q.accept)
	case e != nil:
		return e.answer()
	}
	return a
}

// decorate adds the CORS headers Api/Core/app.php sends with every answer
// of the API, whichever part of it answers.
func (d *suitecrm) decorate(_ *op, a *answer) {
	if a.bare {
		return
	}
	if a.header.Get("Content-Type") == "" && len(a.body) > 0 {
		a.header.Set("Content-Type", suiteMediaType)
	}
	a.header.Set("Access-Control-Allow-Origin", "*")
	a.header.Set("Access-Control-Allow-Methods", "POST, GET, OPTIONS, PUT")
	a.header.Set("Access-Control-Allow-Headers", "Content-Type, Access-Control-Allow-Headers, Authorization, X-Requested-With")
}

// slimWantsJSON reports whether Slim's own pages answer accept in JSON:
// Slim 3 knows application/json and reads any +json type as it.
func slimWantsJSON(accept string) bool {
	return strings.Contains(accept, "application/json") || strings.Contains(accept, "+json")
}

// slimNotFound is Slim's answer for a path under /Api that no route has.
// The class is parameter, as for the other dialects' unknown paths: the
// call itself is wrong.
func slimNotFound(accept string) answer {
	if slimWantsJSON(accept) {
		return slimPage(http.StatusNotFound, "parameter", "application/json", `{"message":"Not found"}`)
	}
	return slimPage(http.StatusNotFound, "parameter", "text/html", `<html><head><meta http-equiv='Content-Type' content='text/html; charset=utf-8'><title>Page Not Found</title></head><body><h1>Page Not Found</h1><p>The page you are looking for could not be found. Check the address bar to ensure your URL is spelled correctly. If all else fails, you can visit our home page at the link below.</p><a href='/Api/'>Visit the Home Page</a></body></html>`)
}

// slimNotAllowed is Slim's answer for a route that does not take method;
// OPTIONS gets the list of methods with 200.
func slimNotAllowed(method string, allowed []string, accept string) answer {
	list := strings.Join(allowed, ", ")
	var a answer
	switch {
	case method == http.MethodOptions:
		a = slimPage(http.StatusOK, "ok", "text/plain", "Allowed methods: "+list)
	case slimWantsJSON(accept):
		a = slimPage(http.StatusMethodNotAllowed, "parameter", "application/json",
			fmt.Sprintf(`{"message":"Method not allowed. Must be one of: %s"}`, list))
	default:
		a = slimPage(http.StatusMethodNotAllowed, "parameter", "text/html",
			fmt.Sprintf(`<html><head><meta http-equiv='Content-Type' content='text/html; charset=utf-8'><title>Method not allowed</title></head><body><h1>Method not allowed</h1><p>Method not allowed. Must be one of: <strong>%s</strong></p></body></html>`, list))
	}
	a.header.Set("Allow", list)
	return a
}

// slimError is Slim's page for an error no controller caught, with the
// details SuiteCRM's displayErrorDetails setting shows: a PHP TypeError
// deep in a bean's save, as a fatal in SuiteCRM's own code surfaces.
func slimError(accept string) answer {
	const (
		typ  = "TypeError"
		msg  = "array_merge(): Argument #1 ($array) must be of type array, bool given"
		file = "/var/www/html/include/SugarObjects/templates/person/Person.php"
		line = 262
	)
	trace := []string{
		"#0 /var/www/html/include/SugarObjects/templates/person/Person.php(262): array_merge(false, Array)",
		"#1 /var/www/html/modules/Contacts/Contact.php(245): Person->save(false)",
		"#2 /var/www/html/Api/V8/Service/ModuleService.php(306): Contact->save()",
		"#3 {main}",
	}
	if slimWantsJSON(accept) {
		a := suiteJSON(http.StatusInternalServerError, "server", obj{
			{"message", "Slim Application Error"},
			{"error", []obj{{{"type", typ}, {"code", 0}, {"message", msg}, {"file", file}, {"line", line}, {"trace", trace}}}},
		})
		a.header.Set("Content-Type", "application/json")
		return a
	}
	return slimPage(http.StatusInternalServerError, "server", "text/html", fmt.Sprintf(
		`<html><head><meta http-equiv='Content-Type' content='text/html; charset=utf-8'><title>Slim Application Error</title></head><body><h1>Slim Application Error</h1><p>The application could not run because of the following error:</p><h2>Details</h2><div><strong>Type:</strong> %s</div><div><strong>Message:</strong> %s</div><div><strong>File:</strong> %s</div><div><strong>Line:</strong> %d</div><h2>Trace</h2><pre>%s</pre></body></html>`,
		typ, msg, file, line, strings.Join(trace, "\n")))
}

// slimPage is a page of Slim's own: PHP sends it, so unlike the web
// server's pages it carries the API's headers.
func slimPage(status int, class, contentType, body string) answer {
	a := pageAnswer(status, class, contentType, body)
	a.bare = false
	return a
}

// apacheNotFound is the web server's page for a path outside the API.
func apacheNotFound(path string) answer {
	return pageAnswer(http.StatusNotFound, "parameter", "text/html; charset=iso-8859-1", fmt.Sprintf(
		"<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL %s was not found on this server.</p>\n<hr>\n<address>Apache/2.4.62 (Debian) Server at crm.example Port 443</address>\n</body></html>\n",
		html.EscapeString(path)))
}
