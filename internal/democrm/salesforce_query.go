package democrm

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// versions lists the supported API versions, oldest first, as
// GET /services/data/ does.
func (d *salesforce) versions(o *op) answer {
	if o.method != http.MethodGet {
		return sfError(http.StatusMethodNotAllowed, "parameter", "METHOD_NOT_ALLOWED",
			fmt.Sprintf("HTTP Method '%s' not allowed. Allowed are GET,HEAD", o.method)).answer()
	}
	var list []obj
	for v := int(sfOldest); v <= int(sfLatest); v++ {
		ver := fmt.Sprintf("%d.0", v)
		list = append(list, obj{{"label", sfRelease(v)}, {"url", "/services/data/v" + ver}, {"version", ver}})
	}
	return jsonAnswer(http.StatusOK, "ok", list)
}

// sfRelease names the release of API version v: three a year, Winter '24
// being v59.0.
func sfRelease(v int) string {
	k := v - 59
	year := 24 + k/3
	season := k % 3
	if season < 0 {
		season += 3
		year--
	}
	return fmt.Sprintf("%s '%02d", []string{"Winter", "Spring", "Summer"}[season], year)
}

// meta answers the read-only resources: the version's resource list,
// limits, and the global and per-object describes.
func (d *salesforce) meta(o *op) answer {
	q := o.sf
	base := "/services/data/v" + o.version
	switch q.route {
	case sfResources:
		return jsonAnswer(http.StatusOK, "ok", obj{
			{"limits", base + "/limits"}, {"sobjects", base + "/sobjects"}, {"query", base + "/query"},
			{"queryAll", base + "/queryAll"}, {"composite", base + "/composite"},
		})
	case sfLimits:
		limit := func(most, remaining int) obj { return obj{{"Max", most}, {"Remaining", remaining}} }
		return jsonAnswer(http.StatusOK, "ok", obj{
			{"DailyApiRequests", limit(sfDailyLimit, max(sfDailyLimit-q.usage, 0))},
			{"DailyAsyncApexExecutions", limit(250_000, 250_000)},
			{"DailyBulkApiBatches", limit(15_000, 15_000)},
			{"DataStorageMB", limit(1024, 1024-len(d.s.store.all("salesforce/Contact"))/200)},
			{"SingleEmail", limit(5_000, 5_000)},
		})
	case sfGlobal:
		var list []obj
		for _, ob := range sfObjects() {
			list = append(list, sfObjectSummary(ob, base))
		}
		return jsonAnswer(http.StatusOK, "ok", obj{{"encoding", "UTF-8"}, {"maxBatchSize", 200}, {"sobjects", list}})
	case sfObjectInfo:
		recent := []obj{}
		recs := d.s.store.all(q.object.table())
		for _, rec := range recs[:min(3, len(recs))] {
			recent = append(recent, sfRender(q.object, rec, o.version, []string{"Id", "Name"}))
		}
		return jsonAnswer(http.StatusOK, "ok", obj{{"objectDescribe", sfObjectSummary(q.object, base)}, {"recentItems", recent}})
	}
	var fields []obj
	for _, f := range q.object.fields {
		fields = append(fields, obj{
			{"name", f.name}, {"label", f.label}, {"type", f.typ}, {"length", f.length},
			{"createable", f.createable}, {"updateable", f.updateable}, {"nillable", !f.required && f.createable},
			{"externalId", f.external}, {"unique", f.external},
		})
	}
	d0 := sfObjectSummary(q.object, base)
	return jsonAnswer(http.StatusOK, "ok", append(d0, kv{"fields", fields}))
}

// sfObjectSummary is an object's entry in the global describe.
func sfObjectSummary(ob sfObject, base string) obj {
	url := base + "/sobjects/" + ob.name
	return obj{
		{"name", ob.name}, {"label", ob.label}, {"labelPlural", ob.plural}, {"keyPrefix", ob.prefix},
		{"createable", true}, {"updateable", true}, {"deletable", true}, {"queryable", true},
		{"urls", obj{{"sobject", url}, {"describe", url + "/describe"}, {"rowTemplate", url + "/{ID}"}}},
	}
}

// soql is a parsed query; only the select list, FROM and LIMIT matter.
type soql struct {
	fields []string
	count  bool // SELECT COUNT()
	object string
	limit  int // -1 for none
}

// parseSOQL reads the little of SOQL the fake needs. WHERE and ORDER BY
// clauses are accepted and ignored.
func parseSOQL(q string) (soql, *sfErr) {
	words := strings.Fields(strings.ReplaceAll(q, ",", " , "))
	if len(words) == 0 || !strings.EqualFold(words[0], "SELECT") {
		return soql{}, sfError(http.StatusBadRequest, "parameter", "MALFORMED_QUERY", fmt.Sprintf("unexpected token: '%s'", firstWord(words)))
	}
	s := soql{limit: -1}
	i := 1
	for ; i < len(words) && !strings.EqualFold(words[i], "FROM"); i++ {
		if words[i] != "," {
			s.fields = append(s.fields, words[i])
		}
	}
	if i+1 >= len(words) || len(s.fields) == 0 {
		return soql{}, sfError(http.StatusBadRequest, "parameter", "MALFORMED_QUERY", "unexpected token: '<EOF>'")
	}
	s.object = words[i+1]
	s.count = len(s.fields) == 1 && strings.EqualFold(s.fields[0], "COUNT()")
	for j := i + 2; j+1 < len(words); j++ {
		if strings.EqualFold(words[j], "LIMIT") {
			n, err := strconv.Atoi(words[j+1])
			if err != nil || n < 0 {
				return soql{}, sfError(http.StatusBadRequest, "parameter", "MALFORMED_QUERY", fmt.Sprintf("unexpected token: '%s'", words[j+1]))
			}
			s.limit = n
		}
	}
	return s, nil
}

// firstWord returns the first word, or <EOF> when there is none.
func firstWord(words []string) string {
	if len(words) == 0 {
		return "<EOF>"
	}
	return words[0]
}

// query answers GET …/query?q=SELECT….
func (d *salesforce) query(o *op) answer {
	text := o.query.Get("q")
	if text == "" {
		return sfError(http.StatusBadRequest, "parameter", "MALFORMED_QUERY", "A query string has to be specified").answer()
	}
	s, e := parseSOQL(text)
	if e != nil {
		return e.answer()
	}
	ob, ok := sfLookup(s.object)
	if !ok {
		return sfError(http.StatusBadRequest, "parameter", "INVALID_TYPE", soqlCaret(text, s.object,
			fmt.Sprintf("sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", s.object))).answer()
	}
	if !s.count {
		for _, f := range s.fields {
			if _, ok := ob.field(f); !ok {
				return sfError(http.StatusBadRequest, "parameter", "INVALID_FIELD", soqlCaret(text, f, sfNoColumn(f, ob.name))).answer()
			}
		}
	}
	recs := d.s.store.all(ob.table())
	if s.limit >= 0 && s.limit < len(recs) {
		recs = recs[:s.limit]
	}
	rows := []obj{}
	if !s.count {
		for _, rec := range recs {
			rows = append(rows, sfRender(ob, rec, o.version, s.fields))
		}
	}
	return jsonAnswer(http.StatusOK, "ok", obj{{"totalSize", len(recs)}, {"done", true}, {"records", rows}})
}

// sfNoColumn is the message for an unknown field in a query or a read.
func sfNoColumn(field, object string) string {
	return fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", field, object)
}

// soqlCaret formats a query error the way Salesforce does: the query, a
// caret under the offending token, its position, then the message.
func soqlCaret(query, token, msg string) string {
	col := strings.Index(query, token) + 1
	return fmt.Sprintf("\n%s\n%s^\nERROR at Row:1:Column:%d\n%s", query, strings.Repeat(" ", max(col-1, 0)), col, msg)
}
