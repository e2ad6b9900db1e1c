// Package quota reads what CRMs say about their API limits — the headers
// each vendor sends on every answer — and keeps a per-upstream gate that
// stops calls while a quota is exhausted, instead of spending calls the
// CRM will only refuse.
package quota

import (
	"net/http"
	"strconv"
	"strings"
)

// Reading is one limit window's state as a CRM reported it.
type Reading struct {
	// Window names the limit: "daily", "10s" (HubSpot's burst interval),
	// "burst", "per-app", "execution-time"…
	Window    string
	Remaining float64
	Limit     float64 // 0 when the CRM did not say
}

// Read returns the limit readings in h, from every header family the
// supported CRMs send (research/crm-apis.md):
//
//   - Salesforce Sforce-Limit-Info: "api-usage=18/5000" (daily org quota,
//     rolling 24 h) and "per-app-api-usage=17/250(appName=x)";
//   - HubSpot X-HubSpot-RateLimit-Daily(-Remaining) and
//     X-HubSpot-RateLimit-Max/-Remaining with -Interval-Milliseconds;
//   - Dataverse x-ms-ratelimit-burst-remaining-xrm-requests and
//     x-ms-ratelimit-time-remaining-xrm-requests (service protection);
//   - Pipedrive and others x-ratelimit-limit/-remaining and
//     x-daily-requests-left.
//
// Malformed values are skipped.
func Read(h http.Header) []Reading {
	var out []Reading
	if v := get(h, "Sforce-Limit-Info"); v != "" {
		out = append(out, salesforce(v)...)
	}
	if rem, ok := num(get(h, "X-Hubspot-Ratelimit-Daily-Remaining")); ok {
		lim, _ := num(get(h, "X-Hubspot-Ratelimit-Daily"))
		out = append(out, Reading{Window: "daily", Remaining: rem, Limit: lim})
	}
	if rem, ok := num(get(h, "X-Hubspot-Ratelimit-Remaining")); ok {
		lim, _ := num(get(h, "X-Hubspot-Ratelimit-Max"))
		w := "interval"
		if ms, ok := num(get(h, "X-Hubspot-Ratelimit-Interval-Milliseconds")); ok && ms > 0 {
			w = strconv.FormatFloat(ms/1000, 'f', -1, 64) + "s"
		}
		out = append(out, Reading{Window: w, Remaining: rem, Limit: lim})
	}
	if rem, ok := num(get(h, "X-Ms-Ratelimit-Burst-Remaining-Xrm-Requests")); ok {
		out = append(out, Reading{Window: "burst", Remaining: rem})
	}
	if rem, ok := num(get(h, "X-Ms-Ratelimit-Time-Remaining-Xrm-Requests")); ok {
		out = append(out, Reading{Window: "execution-time", Remaining: rem})
	}
	if rem, ok := num(get(h, "X-Ratelimit-Remaining")); ok {
		lim, _ := num(get(h, "X-Ratelimit-Limit"))
		out = append(out, Reading{Window: "burst", Remaining: rem, Limit: lim})
	}
	if rem, ok := num(get(h, "X-Daily-Requests-Left")); ok {
		out = append(out, Reading{Window: "daily", Remaining: rem})
	}
	return out
}

// salesforce parses "api-usage=18/5000; per-app-api-usage=17/250(appName=x)".
func salesforce(v string) []Reading {
	var out []Reading
	for _, part := range strings.Split(v, ";") {
		key, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		if i := strings.IndexByte(val, '('); i >= 0 {
			val = val[:i]
		}
		used, limit, ok := strings.Cut(val, "/")
		u, ok1 := num(used)
		l, ok2 := num(limit)
		if !ok || !ok1 || !ok2 {
			continue
		}
		w := strings.TrimSuffix(key, "-api-usage")
		if key == "api-usage" {
			w = "daily"
		}
		out = append(out, Reading{Window: w, Remaining: max(l-u, 0), Limit: l})
	}
	return out
}

// get reads a header by its canonical key without canonicalising it again,
// so reading the quota of every response costs no allocation.
func get(h http.Header, canonical string) string {
	if v := h[canonical]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func num(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f != f {
		return 0, false
	}
	return f, true
}
