package democrm

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// hsType is one HubSpot object type.
type hsType struct {
	name, alias, singular string // contacts, 0-1, Contact
	base                  int    // ids are base + sequence
	modified              string // the last-modified property
	defaults              []string
	props                 []string // writable properties
}

func (t hsType) table() string { return HubSpot + "/" + t.name }

func hsTypes() []hsType {
	return []hsType{
		{name: "contacts", alias: "0-1", singular: "Contact", base: 1000, modified: "lastmodifieddate",
			defaults: []string{"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"},
			props:    []string{"email", "firstname", "lastname", "phone", "company", "jobtitle", "city", "country", "lifecyclestage", "website"}},
		{name: "companies", alias: "0-2", singular: "Company", base: 20000, modified: "hs_lastmodifieddate",
			defaults: []string{"createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"},
			props:    []string{"name", "domain", "industry", "phone", "city", "country", "numberofemployees", "website"}},
		{name: "deals", alias: "0-3", singular: "Deal", base: 30000, modified: "hs_lastmodifieddate",
			defaults: []string{"amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id", "pipeline"},
			props:    []string{"dealname", "amount", "dealstage", "pipeline", "closedate", "hubspot_owner_id"}},
	}
}

// hsLookup returns the type called name or its numeric alias.
func hsLookup(name string) (hsType, bool) {
	for _, t := range hsTypes() {
		if t.name == name || t.alias == name {
			return t, true
		}
	}
	return hsType{}, false
}

// hsTime formats a timestamp as HubSpot does.
func hsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// hsRender returns rec as the API shows it, with the properties named (the
// type's defaults when none are) plus those HubSpot always adds.
func hsRender(t hsType, rec record, props []string) obj {
	if len(props) == 0 {
		props = t.defaults
	}
	out := map[string]any{}
	for _, p := range slices.Concat(props, []string{"createdate", "hs_object_id", t.modified}) {
		switch p {
		case "createdate":
			out[p] = hsTime(rec.created)
		case "hs_object_id":
			out[p] = rec.id
		case t.modified:
			out[p] = hsTime(rec.updated)
		default:
			out[p] = rec.fields[p] // nil (null) when unset
		}
	}
	return obj{{"id", rec.id}, {"properties", out}, {"createdAt", hsTime(rec.created)}, {"updatedAt", hsTime(rec.updated)}, {"archived", false}}
}

// hsProperties splits a properties query parameter.
func hsProperties(list string) []string {
	var out []string
	for p := range strings.SplitSeq(list, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// list answers GET /crm/v3/objects/{type}: pages of at most 100 records
// in id order, the cursor being the next id.
func (d *hubspot) list(o *op) answer {
	t := o.hs.typ
	limit, err := strconv.Atoi(o.query.Get("limit"))
	if err != nil || limit <= 0 {
		limit = 10
	}
	limit = min(limit, 100)
	after, _ := strconv.Atoi(o.query.Get("after"))
	props := hsProperties(o.query.Get("properties"))
	results := []obj{}
	var next string
	for _, rec := range d.s.store.all(t.table()) {
		if n, _ := strconv.Atoi(rec.id); n < after {
			continue
		}
		if len(results) == limit {
			next = rec.id
			break
		}
		results = append(results, hsRender(t, rec, props))
	}
	body := obj{{"results", results}}
	if next != "" {
		link := fmt.Sprintf("http://%s/%s%s?after=%s&limit=%d", o.host, HubSpot, o.path, next, limit)
		body = append(body, kv{"paging", obj{{"next", obj{{"after", next}, {"link", link}}}}})
	}
	return jsonAnswer(http.StatusOK, "ok", body)
}

// hsInput is one record to write: its properties, and for upserts or
// updates the key that finds it.
type hsInput struct {
	ID         string         `json:"id"`
	IDProperty string         `json:"idProperty"`
	Properties map[string]any `json:"properties"`
}

// validate checks properties against t and returns them as strings, the
// way HubSpot stores every property value.
func (d *hubspot) validate(t hsType, in map[string]any) (map[string]any, *hsErr) {
	out := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(in)) {
		if !slices.Contains(t.props, k) {
			return nil, hsInvalidProperty(k, "PROPERTY_DOESNT_EXIST", fmt.Sprintf("Property %q does not exist", k), "parameter")
		}
		v := in[k]
		if v == nil {
			out[k] = nil
			continue
		}
		s := fmt.Sprint(v)
		if f, ok := v.(float64); ok {
			s = strconv.FormatFloat(f, 'f', -1, 64)
		}
		if k == "email" && !validEmail(s) {
			return nil, hsInvalidProperty(k, "INVALID_EMAIL", fmt.Sprintf("Email address %s is invalid", s), "data_format")
		}
		out[k] = s
	}
	return out, nil
}

func validEmail(s string) bool {
	at := strings.LastIndex(s, "@")
	return at > 0 && strings.Contains(s[at:], ".") && !strings.ContainsAny(s, " ,;")
}

// insert validates and stores one new record; contacts must have a unique
// email.
func (d *hubspot) insert(t hsType, props map[string]any) (record, *hsErr) {
	fields, e := d.validate(t, props)
	if e != nil {
		return record{}, e
	}
	unique := ""
	if t.name == "contacts" {
		unique = "email"
	}
	rec, dup, ok := d.s.store.insertUnique(t.table(), unique, fields, d.s.opts.Now(), func(seq int) string { return strconv.Itoa(t.base + seq) })
	if !ok {
		return record{}, hsConflict(t, dup.id)
	}
	return rec, nil
}

// create answers POST /crm/v3/objects/{type}.
func (d *hubspot) create(o *op) answer {
	var in hsInput
	if err := json.Unmarshal(o.body, &in); err != nil {
		return d.error(o, hsBadJSON(err))
	}
	rec, e := d.insert(o.hs.typ, in.Properties)
	if e != nil {
		return d.error(o, e)
	}
	return jsonAnswer(http.StatusCreated, "ok", hsRender(o.hs.typ, rec, slices.Collect(maps.Keys(in.Properties))))
}

// object answers GET, PATCH and DELETE on /crm/v3/objects/{type}/{id}.
func (d *hubspot) object(o *op) answer {
	t, id := o.hs.typ, o.hs.id
	if prop := o.query.Get("idProperty"); prop != "" && o.method == http.MethodGet {
		rec, ok := d.s.store.find(t.table(), prop, id)
		if !ok {
			return d.error(o, hsNotFound(id))
		}
		id = rec.id
	}
	switch o.method {
	case http.MethodGet:
		rec, ok := d.s.store.get(t.table(), id)
		if !ok {
			return d.error(o, hsNotFound(id))
		}
		return jsonAnswer(http.StatusOK, "ok", hsRender(t, rec, hsProperties(o.query.Get("properties"))))
	case http.MethodPatch:
		var in hsInput
		if err := json.Unmarshal(o.body, &in); err != nil {
			return d.error(o, hsBadJSON(err))
		}
		fields, e := d.validate(t, in.Properties)
		if e != nil {
			return d.error(o, e)
		}
		rec, ok := d.s.store.update(t.table(), id, fields, d.s.opts.Now())
		if !ok {
			return d.error(o, hsNotFound(id))
		}
		return jsonAnswer(http.StatusOK, "ok", hsRender(t, rec, slices.Collect(maps.Keys(in.Properties))))
	}
	// Archiving answers 204 whether or not the record existed.
	d.s.store.remove(t.table(), id)
	return answer{status: http.StatusNoContent, header: http.Header{}, class: "ok"}
}

// countInputs returns the number of inputs of a batch body.
func countInputs(body []byte) int {
	var b struct{ Inputs []json.RawMessage }
	if json.Unmarshal(body, &b) != nil {
		return 0
	}
	return len(b.Inputs)
}

// seedHubSpot fills the contacts, companies and deals tables.
func seedHubSpot(st *store, companies []company, people []person) {
	ct, _ := hsLookup("companies")
	pt, _ := hsLookup("contacts")
	dt, _ := hsLookup("deals")
	for _, c := range companies {
		st.insert(ct.table(), map[string]any{
			"name": c.name, "domain": c.domain, "industry": strings.ToUpper(strings.NewReplacer(" & ", "_AND_", " ", "_").Replace(c.industry)),
			"phone": c.phone, "city": c.city, "country": c.country, "numberofemployees": strconv.Itoa(c.employees), "website": "www." + c.domain,
		}, c.created, func(seq int) string { return strconv.Itoa(ct.base + seq) })
	}
	stages := []string{"appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin", "contractsent", "closedwon", "closedlost"}
	for i, p := range people {
		c := companies[p.company]
		st.insert(pt.table(), map[string]any{
			"email": p.email, "firstname": p.first, "lastname": p.last, "phone": p.phone, "company": c.name,
			"jobtitle": p.title, "city": c.city, "country": c.country, "lifecyclestage": []string{"lead", "marketingqualifiedlead", "customer"}[i%3],
		}, p.created, func(seq int) string { return strconv.Itoa(pt.base + seq) })
		if i%4 == 0 {
			st.insert(dt.table(), map[string]any{
				"dealname": c.name + " – " + []string{"annual renewal", "expansion", "pilot", "new business"}[i%16/4],
				"amount":   strconv.Itoa(2500 + (i*7919)%97500), "dealstage": stages[i%len(stages)], "pipeline": "default",
				"closedate": hsTime(p.created.Add(45 * 24 * time.Hour)),
			}, p.created, func(seq int) string { return strconv.Itoa(dt.base + seq) })
		}
	}
}
