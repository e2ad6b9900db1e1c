package democrm

import (
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HubSpot rate limits of the fake portal (Professional: 190 calls per
// 10 seconds, 625,000 a day) and its portal id.
const (
	hsDailyLimit    = 625_000
	hsIntervalLimit = 190
	hsInterval      = 10 * time.Second
	hsPortalID      = 24781339
)

// hubspot speaks the HubSpot CRM v3 objects API.
type hubspot struct{ s *Server }

// hsRoute is the resource a HubSpot request names.
type hsRoute uint8

const (
	hsUnknown    hsRoute = iota
	hsCollection         // /crm/v3/objects/{type}
	hsObject             // /crm/v3/objects/{type}/{id}
	hsBatch              // /crm/v3/objects/{type}/batch/{create|upsert|read|update}
)

// hsRequest is the HubSpot part of an op.
type hsRequest struct {
	route       hsRoute
	typeName    string
	typ         hsType
	known       bool
	id          string
	batch       string
	correlation string // X-HubSpot-Correlation-Id, also in error bodies
	day, window int    // calls today and in the current window, this one included
}

func (d *hubspot) parse(r *http.Request, path string) *op {
	o := newOp(HubSpot, r, path)
	q := &hsRequest{correlation: d.s.uuid()}
	o.hs = q
	q.day, q.window = d.s.countHubSpot()
	rest, ok := strings.CutPrefix(path, "/crm/v3/objects/")
	if !ok {
		return o
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	q.typeName = segs[0]
	q.typ, q.known = hsLookup(segs[0])
	o.object = q.typ.name
	switch {
	case len(segs) == 1:
		q.route = hsCollection
		o.action = map[string]action{http.MethodGet: actList, http.MethodPost: actCreate}[o.method]
	case len(segs) == 2 && segs[1] != "batch":
		q.route, q.id = hsObject, segs[1]
		o.action = map[string]action{http.MethodGet: actRead, http.MethodPatch: actUpdate, http.MethodDelete: actDelete}[o.method]
	case len(segs) == 3 && segs[1] == "batch":
		q.route, q.batch = hsBatch, segs[2]
		o.action = actBatch
		if q.batch == "read" {
			o.action = actList
		}
		o.items = countInputs(o.body)
	}
	return o
}

// countHubSpot counts one call against the daily and interval limits.
func (s *Server) countHubSpot() (day, window int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	if !now.Before(s.usage.hsWindowEnd) {
		s.usage.hsWindow, s.usage.hsWindowEnd = 0, now.Add(hsInterval)
	}
	s.usage.hsDay++
	s.usage.hsWindow++
	return s.usage.hsDay, s.usage.hsWindow
}

// uuid returns a random version-4 UUID from the server's seeded source.
func (s *Server) uuid() string {
	s.mu.Lock()
	hi, lo := s.rnd.Uint64(), s.rnd.Uint64()
	s.mu.Unlock()
	hi = hi&^0xf000 | 0x4000
	lo = lo&^(0xc<<60) | 0x8<<60
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", hi>>32, hi>>16&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}

func (d *hubspot) answer(o *op) answer {
	q := o.hs
	if d.s.opts.RequireAuth && !hasBearer(o.header) {
		return d.error(o, &hsErr{status: http.StatusUnauthorized, class: "auth", category: "INVALID_AUTHENTICATION",
			msg: "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"})
	}
	if q.route == hsUnknown {
		a := jettyPage(http.StatusNotFound, o.path)
		if hsSunset(o.path) {
			a.class = "version"
		}
		return a
	}
	if !q.known {
		return d.error(o, &hsErr{status: http.StatusBadRequest, class: "parameter", category: "VALIDATION_ERROR",
			msg: "Unable to infer object type from: " + q.typeName})
	}
	switch {
	case q.route == hsCollection && o.method == http.MethodGet:
		return d.list(o)
	case q.route == hsCollection && o.method == http.MethodPost:
		return d.create(o)
	case q.route == hsObject && (o.method == http.MethodGet || o.method == http.MethodPatch || o.method == http.MethodDelete):
		return d.object(o)
	case q.route == hsBatch && o.method == http.MethodPost:
		return d.batch(o, nil)
	}
	return jettyPage(http.StatusMethodNotAllowed, o.path)
}

// decorate adds the correlation id and the rate-limit headers HubSpot
// sends with every API answer.
func (d *hubspot) decorate(o *op, a *answer) {
	if a.bare {
		return
	}
	if a.header.Get("Content-Type") == "" && len(a.body) > 0 {
		a.header.Set("Content-Type", "application/json;charset=utf-8")
	}
	q := o.hs
	set := func(k string, v int) {
		if a.header.Get(k) == "" {
			a.header.Set(k, strconv.Itoa(v))
		}
	}
	a.header.Set("X-HubSpot-Correlation-Id", q.correlation)
	set("X-HubSpot-RateLimit-Daily", hsDailyLimit)
	set("X-HubSpot-RateLimit-Daily-Remaining", max(hsDailyLimit-q.day, 0))
	set("X-HubSpot-RateLimit-Interval-Milliseconds", int(hsInterval/time.Millisecond))
	set("X-HubSpot-RateLimit-Max", hsIntervalLimit)
	set("X-HubSpot-RateLimit-Remaining", max(hsIntervalLimit-q.window, 0))
	set("X-HubSpot-RateLimit-Secondly", hsIntervalLimit/10)
	set("X-HubSpot-RateLimit-Secondly-Remaining", max(hsIntervalLimit/10-q.window/10, 0))
}

// hsSunset reports whether path belongs to a legacy API HubSpot has sunset;
// those answer 404 ("After the sunset date, all endpoints … will return a
// 404 error response"), which crmguard should read as a version problem.
func hsSunset(path string) bool {
	for _, p := range []string{"/contacts/v1/", "/companies/v2/", "/deals/v1/", "/owners/v2/", "/engagements/v1/", "/properties/v1/"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// jettyPage is the servlet container's own error page, which HubSpot's API
// gateway sends for paths and methods it has no route for.
func jettyPage(status int, path string) answer {
	text := http.StatusText(status)
	body := fmt.Sprintf(`<html>
<head>
<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>
<title>Error %d %s</title>
</head>
<body><h2>HTTP ERROR %d %s</h2>
<table>
<tr><th>URI:</th><td>%s</td></tr>
<tr><th>STATUS:</th><td>%d</td></tr>
<tr><th>MESSAGE:</th><td>%s</td></tr>
<tr><th>SERVLET:</th><td>-</td></tr>
</table>
</body>
</html>
`, status, text, status, text, html.EscapeString(path), status, text)
	return pageAnswer(status, "parameter", "text/html;charset=utf-8", body)
}
