package democrm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Salesforce API versions: 7.0–30.0 are retired and answer 410; 31.0–40.0
// are deprecated (a Warning header says so); sfLatest is Winter '26.
const (
	sfOldest     = 31.0
	sfDeprecated = 40.0
	sfLatest     = 65.0
	sfDailyLimit = 100_000 // DailyApiRequests of the fake org
)

// salesforce speaks the Salesforce REST API.
type salesforce struct{ s *Server }

// sfRoute is the resource a Salesforce request names.
type sfRoute uint8

const (
	sfUnknown    sfRoute = iota
	sfVersions           // /services/data/
	sfResources          // /services/data/vNN.N/
	sfLimits             // …/limits
	sfGlobal             // …/sobjects
	sfObjectInfo         // …/sobjects/{Object}
	sfDescribe           // …/sobjects/{Object}/describe
	sfRecord             // …/sobjects/{Object}/{Id}
	sfExternal           // …/sobjects/{Object}/{ExtField}/{value}
	sfQuery              // …/query?q=
	sfComposite          // …/composite/sobjects
)

// sfRequest is the Salesforce part of an op.
type sfRequest struct {
	route      sfRoute
	ver        float64
	usage      int // API calls today, this one included
	objectName string
	object     sfObject
	known      bool // objectName names an object of the org
	id         string
	extField   string
	extValue   string
}

func (d *salesforce) parse(r *http.Request, path string) *op {
	o := newOp(Salesforce, r, path)
	q := &sfRequest{}
	o.sf = q
	rest, ok := strings.CutPrefix(path, "/services/data")
	if !ok || (rest != "" && rest[0] != '/') {
		return o
	}
	rest = strings.Trim(rest, "/")
	if rest == "" {
		q.route = sfVersions
		return o
	}
	segs := strings.Split(rest, "/")
	ver, ok := sfParseVersion(segs[0])
	if !ok {
		return o
	}
	q.ver, o.version = ver, segs[0][1:]
	q.usage = d.s.countSalesforce()
	if ver > sfLatest {
		return o
	}
	segs = segs[1:]
	switch {
	case len(segs) == 0:
		q.route = sfResources
	case len(segs) == 1 && segs[0] == "limits":
		q.route = sfLimits
	case len(segs) == 1 && (segs[0] == "query" || segs[0] == "queryAll"):
		q.route, o.action = sfQuery, actList
	case len(segs) == 2 && segs[0] == "composite" && segs[1] == "sobjects":
		q.route, o.action = sfComposite, actBatch
		var body struct{ Records []json.RawMessage }
		if json.Unmarshal(o.body, &body) == nil {
			o.items = len(body.Records)
		}
	case segs[0] == "sobjects" && len(segs) <= 4:
		d.parseSObjects(o, segs[1:])
	}
	return o
}

// parseSObjects fills in a request under …/sobjects.
func (d *salesforce) parseSObjects(o *op, segs []string) {
	q := o.sf
	if len(segs) == 0 {
		q.route = sfGlobal
		return
	}
	q.objectName = segs[0]
	q.object, q.known = sfLookup(segs[0])
	o.object = q.objectName
	if q.known {
		o.object = q.object.name
	}
	switch {
	case len(segs) == 1:
		q.route = sfObjectInfo
		if o.method == http.MethodPost {
			o.action = actCreate
		}
	case len(segs) == 2 && segs[1] == "describe":
		q.route = sfDescribe
	case len(segs) == 2:
		q.route, q.id = sfRecord, segs[1]
		o.action = map[string]action{http.MethodGet: actRead, http.MethodPatch: actUpdate, http.MethodDelete: actDelete}[o.method]
	default:
		q.route, q.extField, q.extValue = sfExternal, segs[1], segs[2]
		o.action = map[string]action{http.MethodGet: actRead, http.MethodPatch: actUpsert, http.MethodDelete: actDelete}[o.method]
	}
}

// sfParseVersion parses a path segment such as "v59.0".
func sfParseVersion(seg string) (float64, bool) {
	num, ok := strings.CutPrefix(seg, "v")
	if !ok || !strings.Contains(num, ".") {
		return 0, false
	}
	v, err := strconv.ParseFloat(num, 64)
	return v, err == nil && v > 0
}

// countSalesforce counts one API call and returns today's total.
func (s *Server) countSalesforce() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.usage.sf++
	return s.usage.sf
}

func (d *salesforce) answer(o *op) answer {
	q := o.sf
	if q.route == sfVersions {
		return d.versions(o)
	}
	if d.s.opts.RequireAuth && !hasBearer(o.header) {
		return sfSessionExpired()
	}
	switch {
	case q.ver > sfLatest:
		// A version the org does not know yet answers like any unknown path.
		return sfError(http.StatusNotFound, "version", "NOT_FOUND", "The requested resource does not exist").answer()
	case q.route == sfUnknown:
		return sfError(http.StatusNotFound, "parameter", "NOT_FOUND", "The requested resource does not exist").answer()
	case q.ver < sfOldest:
		return sfGone(o)
	case q.usage > sfDailyLimit:
		return sfQuotaExceeded(q.usage)
	case q.objectName != "" && !q.known:
		return sfError(http.StatusNotFound, "parameter", "NOT_FOUND", "The requested resource does not exist").answer()
	}
	if allowed := sfMethods(q.route); !slices.Contains(allowed, o.method) {
		return sfError(http.StatusMethodNotAllowed, "parameter", "METHOD_NOT_ALLOWED",
			fmt.Sprintf("HTTP Method '%s' not allowed. Allowed are %s", o.method, strings.Join(append(allowed, "HEAD"), ","))).answer()
	}
	switch q.route {
	case sfResources, sfLimits, sfGlobal, sfObjectInfo, sfDescribe:
		if o.action == actCreate {
			return d.create(o)
		}
		return d.meta(o)
	case sfQuery:
		return d.query(o)
	case sfComposite:
		return d.collection(o, nil)
	case sfRecord:
		return d.record(o)
	case sfExternal:
		return d.external(o)
	}
	return sfError(http.StatusNotFound, "parameter", "NOT_FOUND", "The requested resource does not exist").answer()
}

// sfMethods returns the methods a route accepts (HEAD aside).
func sfMethods(r sfRoute) []string {
	switch r {
	case sfObjectInfo:
		return []string{http.MethodGet, http.MethodPost}
	case sfRecord, sfExternal:
		return []string{http.MethodGet, http.MethodPatch, http.MethodDelete}
	case sfComposite:
		return []string{http.MethodPost, http.MethodPatch}
	}
	return []string{http.MethodGet}
}

// decorate adds Sforce-Limit-Info to every versioned answer (the version
// list is not counted against the org's limits) and the Warning header
// Salesforce sends on deprecated versions.
func (d *salesforce) decorate(o *op, a *answer) {
	if a.bare {
		return
	}
	if a.header.Get("Content-Type") == "" && len(a.body) > 0 {
		a.header.Set("Content-Type", "application/json;charset=UTF-8")
	}
	if o.version == "" {
		return
	}
	if a.header.Get("Sforce-Limit-Info") == "" {
		a.header.Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", o.sf.usage, sfDailyLimit))
	}
	if v := o.sf.ver; v >= sfOldest && v <= sfDeprecated {
		a.header.Set("Warning", `299 - "This API is deprecated and will be removed by Summer '28. Please see https://help.salesforce.com/s/articleView?id=005321531 for details."`)
	}
}

// hasBearer reports whether h carries an Authorization bearer token.
func hasBearer(h http.Header) bool {
	scheme, token, ok := strings.Cut(h.Get("Authorization"), " ")
	return ok && (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "OAuth")) && strings.TrimSpace(token) != ""
}

// sfErr is one Salesforce error.
type sfErr struct {
	status           int
	class, code, msg string
	fields           []string // nil: the member is left out of the REST error
}

func sfError(status int, class, code, msg string, fields ...string) *sfErr {
	return &sfErr{status: status, class: class, code: code, msg: msg, fields: fields}
}

// answer returns e as the REST API sends it: a JSON array of one error.
func (e *sfErr) answer() answer {
	m := obj{{"message", e.msg}, {"errorCode", e.code}}
	if e.fields != nil {
		m = append(m, kv{"fields", e.fields})
	}
	a := jsonAnswer(e.status, e.class, []obj{m})
	a.code = e.code
	return a
}

// item returns e as an item error of an sObject Collections answer.
func (e *sfErr) item() obj {
	fields := e.fields
	if fields == nil {
		fields = []string{}
	}
	return obj{{"statusCode", e.code}, {"message", e.msg}, {"fields", fields}}
}
