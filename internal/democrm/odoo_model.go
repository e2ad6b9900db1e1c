package democrm

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// odooPartners is the store table of res.partner.
const odooPartners = Odoo + "/res.partner"

// odooIDBase offsets partner ids: 1 to 6 belong to the company and the
// admin user in a fresh database.
const odooIDBase = 6

// odooField describes one field of res.partner.
type odooField struct {
	name, typ, label, relation string
	readonly                   bool
}

func odooFields() []odooField {
	return []odooField{
		{name: "id", typ: "integer", label: "ID", readonly: true},
		{name: "name", typ: "char", label: "Name"},
		{name: "display_name", typ: "char", label: "Display Name", readonly: true},
		{name: "is_company", typ: "boolean", label: "Is a Company"},
		{name: "company_type", typ: "selection", label: "Company Type"},
		{name: "parent_id", typ: "many2one", label: "Related Company", relation: "res.partner"},
		{name: "function", typ: "char", label: "Job Position"},
		{name: "email", typ: "char", label: "Email"},
		{name: "phone", typ: "char", label: "Phone"},
		{name: "mobile", typ: "char", label: "Mobile"},
		{name: "website", typ: "char", label: "Website Link"},
		{name: "street", typ: "char", label: "Street"},
		{name: "city", typ: "char", label: "City"},
		{name: "zip", typ: "char", label: "Zip"},
		{name: "country_id", typ: "many2one", label: "Country", relation: "res.country"},
		{name: "active", typ: "boolean", label: "Active"},
		{name: "create_date", typ: "datetime", label: "Created on", readonly: true},
		{name: "write_date", typ: "datetime", label: "Last Updated on", readonly: true},
	}
}

func odooFieldNamed(name string) (odooField, bool) {
	for _, f := range odooFields() {
		if f.name == name {
			return f, true
		}
	}
	return odooField{}, false
}

// odooCountries are the res.country records the seed uses, with their ids
// in a fresh database.
func odooCountries() map[int]string {
	return map[int]string{13: "Australia", 38: "Canada", 75: "France", 231: "United Kingdom", 233: "United States"}
}

// odooTime formats a datetime as the ORM returns it (naive UTC).
func odooTime(t time.Time) string { return t.UTC().Format(time.DateTime) }

// value returns field f of rec as read() returns it: false for empty
// values, [id, display name] for many2one fields.
func (d *odoo) value(f odooField, rec record) any {
	switch f.name {
	case "id":
		id, _ := strconv.Atoi(rec.id)
		return id
	case "display_name":
		return d.displayName(rec)
	case "company_type":
		if rec.fields["is_company"] == true {
			return "company"
		}
		return "person"
	case "create_date":
		return odooTime(rec.created)
	case "write_date":
		return odooTime(rec.updated)
	}
	v, ok := rec.fields[f.name]
	if !ok || v == nil || v == "" {
		if f.typ == "boolean" {
			return f.name == "active"
		}
		return false
	}
	if f.typ == "many2one" {
		id, _ := v.(int)
		if f.relation == "res.country" {
			return []any{id, odooCountries()[id]}
		}
		parent, ok := d.s.store.get(odooPartners, strconv.Itoa(id))
		if !ok {
			return false
		}
		return []any{id, d.displayName(parent)}
	}
	return v
}

// displayName is "Company, Person" for a contact of a company.
func (d *odoo) displayName(rec record) string {
	name, _ := rec.fields["name"].(string)
	if pid, ok := rec.fields["parent_id"].(int); ok {
		if parent, ok := d.s.store.get(odooPartners, strconv.Itoa(pid)); ok {
			pname, _ := parent.fields["name"].(string)
			return pname + ", " + name
		}
	}
	return name
}

// render returns rec as read() does: id first, then the fields asked for.
func (d *odoo) render(rec record, fields []string) obj {
	out := obj{{"id", d.value(odooField{name: "id"}, rec)}}
	if len(fields) == 0 {
		for _, f := range odooFields()[1:] {
			fields = append(fields, f.name)
		}
	}
	for _, name := range fields {
		if f, ok := odooFieldNamed(name); ok && name != "id" {
			out = append(out, kv{name, d.value(f, rec)})
		}
	}
	return out
}

// odooVals checks the values of a create or write and converts them to stored
// values, as the ORM's convert_to_cache does.
func odooVals(raw any) (map[string]any, *odooErr) {
	in, ok := raw.(map[string]any)
	if !ok {
		return nil, &odooErr{name: "builtins.TypeError", msg: "'list' object is not a mapping", class: "parameter"}
	}
	out := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(in)) {
		f, ok := odooFieldNamed(k)
		if !ok {
			return nil, &odooErr{name: "builtins.ValueError", msg: fmt.Sprintf("Invalid field '%s' on model 'res.partner'", k), class: "parameter"}
		}
		v := in[k]
		switch {
		case f.readonly:
			continue // the ORM ignores values for computed, read-only fields
		case v == false || v == nil:
			out[k] = nil
		case f.name == "company_type":
			if v != "person" && v != "company" {
				return nil, &odooErr{name: "builtins.ValueError", msg: fmt.Sprintf("Wrong value for res.partner.company_type: %s", pyRepr(v)), class: "data_format"}
			}
			out["is_company"] = v == "company"
		case f.typ == "many2one":
			n, ok := v.(float64)
			if !ok || n != float64(int(n)) {
				return nil, &odooErr{name: "builtins.ValueError", msg: fmt.Sprintf("Wrong value for res.partner.%s: %s", k, pyRepr(v)), class: "data_format"}
			}
			out[k] = int(n)
		case f.typ == "boolean":
			out[k] = v == true
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out, nil
}

// pyRepr renders a JSON value the way Python's repr would.
func pyRepr(v any) string {
	if s, ok := v.(string); ok {
		return "'" + s + "'"
	}
	return fmt.Sprint(v)
}

// seedOdoo fills res.partner with the companies, then their people.
func seedOdoo(st *store, companies []company, people []person) {
	country := map[string]int{}
	for id, name := range odooCountries() {
		country[name] = id
	}
	id := func(seq int) string { return strconv.Itoa(odooIDBase + seq) }
	for _, c := range companies {
		st.insert(odooPartners, map[string]any{
			"name": c.name, "is_company": true, "email": "info@" + c.domain, "phone": c.phone,
			"website": "https://www." + c.domain, "city": c.city, "country_id": country[c.country],
		}, c.created, id)
	}
	for _, p := range people {
		c := companies[p.company]
		st.insert(odooPartners, map[string]any{
			"name": p.first + " " + p.last, "is_company": false, "parent_id": odooIDBase + 1 + p.company,
			"function": p.title, "email": p.email, "phone": p.phone, "city": c.city, "country_id": country[c.country],
		}, p.created, id)
	}
}

// odooMissing is the MissingError for ids that do not exist.
func odooMissing(ids []int) *odooErr {
	return &odooErr{name: "odoo.exceptions.MissingError", class: "not_found", status: http.StatusNotFound,
		msg: fmt.Sprintf("Record does not exist or has been deleted.\n(Record: %s, User: 2)", odooRecordName(ids))}
}
