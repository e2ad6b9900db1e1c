package democrm

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// odooSignatures names the positional parameters of the model methods the
// fake implements. Methods on records take their ids first.
func odooSignatures() map[string][]string {
	return map[string][]string{
		"search_read":  {"domain", "fields", "offset", "limit", "order"},
		"search":       {"domain", "offset", "limit", "order"},
		"search_count": {"domain", "limit"},
		"read":         {"ids", "fields"},
		"create":       {"vals_list"},
		"write":        {"ids", "vals"},
		"unlink":       {"ids"},
		"fields_get":   {"allfields", "attributes"},
	}
}

// execute runs model.method with positional args margs and keyword args
// kwargs; ids, when not nil, is the recordset (JSON-2 passes it apart).
func (d *odoo) execute(model, method string, ids []int, margs []any, kwargs map[string]any) (any, *odooErr) {
	if model != "res.partner" {
		return nil, &odooErr{name: "odoo.exceptions.UserError", msg: fmt.Sprintf("Object %s doesn't exist", model), class: "parameter", status: http.StatusUnprocessableEntity}
	}
	sig, ok := odooSignatures()[method]
	if !ok {
		return nil, &odooErr{name: "builtins.AttributeError", msg: fmt.Sprintf("The method '%s.%s' does not exist", model, method), class: "parameter"}
	}
	p := map[string]any{}
	for i, v := range margs {
		if i < len(sig) {
			p[sig[i]] = v
		}
	}
	for k, v := range kwargs {
		p[k] = v
	}
	if ids != nil {
		p["ids"] = anyInts(ids)
	}
	domain, _ := p["domain"].([]any)
	fields := strList(p["fields"])
	switch method {
	case "search_read", "search", "search_count":
		recs, e := d.search(domain)
		if e != nil {
			return nil, e
		}
		if method == "search_count" {
			return len(recs), nil
		}
		off, lim := toInt(p["offset"]), toInt(p["limit"])
		recs = recs[min(off, len(recs)):]
		if lim > 0 && lim < len(recs) {
			recs = recs[:lim]
		}
		out := make([]any, len(recs))
		for i, rec := range recs {
			out[i] = d.render(rec, fields)
			if method == "search" {
				out[i] = d.value(odooField{name: "id"}, rec)
			}
		}
		return out, nil
	case "fields_get":
		out := obj{}
		for _, f := range odooFields() {
			desc := obj{{"type", f.typ}, {"string", f.label}, {"readonly", f.readonly}, {"required", false}}
			if f.relation != "" {
				desc = append(desc, kv{"relation", f.relation})
			}
			out = append(out, kv{f.name, desc})
		}
		return out, nil
	case "create":
		return d.create(p["vals_list"])
	}
	recIDs, ok := toInts(p["ids"])
	if !ok {
		return nil, &odooErr{name: "builtins.TypeError", msg: fmt.Sprintf("%s() missing 1 required positional argument: 'self'", method), class: "parameter"}
	}
	var recs []record
	var missing []int
	for _, id := range recIDs {
		if rec, ok := d.s.store.get(odooPartners, strconv.Itoa(id)); ok {
			recs = append(recs, rec)
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, odooMissing(missing)
	}
	switch method {
	case "read":
		out := make([]any, len(recs))
		for i, rec := range recs {
			out[i] = d.render(rec, fields)
		}
		return out, nil
	case "write":
		vals, e := odooVals(p["vals"])
		if e != nil {
			return nil, e
		}
		if v, set := vals["name"]; set && v == nil {
			return nil, odooNameRequired()
		}
		for _, rec := range recs {
			d.s.store.update(odooPartners, rec.id, vals, d.s.opts.Now())
		}
		return true, nil
	}
	for _, rec := range recs {
		d.s.store.remove(odooPartners, rec.id)
	}
	return true, nil
}

// create creates one record from a dict (returning its id) or several
// from a list of dicts (returning their ids).
func (d *odoo) create(raw any) (any, *odooErr) {
	list, many := raw.([]any)
	if !many {
		list = []any{raw}
	}
	valsList := make([]map[string]any, len(list))
	for i, item := range list {
		vals, e := odooVals(item)
		if e != nil {
			return nil, e
		}
		if vals["name"] == nil && vals["is_company"] != true {
			return nil, odooNameRequired()
		}
		valsList[i] = vals
	}
	ids := make([]any, len(valsList))
	for i, vals := range valsList {
		rec := d.s.store.insert(odooPartners, vals, d.s.opts.Now(), func(seq int) string { return strconv.Itoa(odooIDBase + seq) })
		ids[i], _ = strconv.Atoi(rec.id)
	}
	if !many {
		return ids[0], nil
	}
	return ids, nil
}

// odooNameRequired is the ValidationError the check_name constraint
// raises for a contact without a name.
func odooNameRequired() *odooErr {
	return &odooErr{name: "odoo.exceptions.ValidationError", msg: "The operation cannot be completed: Contacts require a name",
		class: "data_format", status: http.StatusUnprocessableEntity}
}

// search returns the partners matching a domain in id order.
func (d *odoo) search(domain []any) ([]record, *odooErr) {
	var out []record
	for _, rec := range d.s.store.all(odooPartners) {
		ok, e := d.match(domain, rec)
		if e != nil {
			return nil, e
		}
		if ok {
			out = append(out, rec)
		}
	}
	return out, nil
}

// match evaluates a domain in Polish notation ('&', '|', '!' prefix
// operators, leaves [field, operator, value], implicit '&') on rec.
func (d *odoo) match(domain []any, rec record) (bool, *odooErr) {
	var stack []bool
	pop := func() bool {
		if len(stack) == 0 {
			return true
		}
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		return v
	}
	for i := len(domain) - 1; i >= 0; i-- {
		switch t := domain[i].(type) {
		case string:
			switch t {
			case "!":
				stack = append(stack, !pop())
			case "&":
				a, b := pop(), pop()
				stack = append(stack, a && b)
			case "|":
				a, b := pop(), pop()
				stack = append(stack, a || b)
			default:
				return false, &odooErr{name: "builtins.ValueError", msg: fmt.Sprintf("Invalid leaf %s", pyRepr(t)), class: "parameter"}
			}
		case []any:
			ok, e := d.leaf(t, rec)
			if e != nil {
				return false, e
			}
			stack = append(stack, ok)
		default:
			return false, &odooErr{name: "builtins.ValueError", msg: fmt.Sprintf("Invalid leaf %v", t), class: "parameter"}
		}
	}
	all := true
	for _, v := range stack {
		all = all && v
	}
	return all, nil
}

// leaf evaluates one [field, operator, value] condition.
func (d *odoo) leaf(l []any, rec record) (bool, *odooErr) {
	leafText := fmt.Sprintf("%v", l)
	if len(l) != 3 {
		return false, &odooErr{name: "builtins.ValueError", msg: "Invalid leaf " + leafText, class: "parameter"}
	}
	name, _ := l[0].(string)
	opr, _ := l[1].(string)
	f, ok := odooFieldNamed(name)
	if !ok {
		return false, &odooErr{name: "builtins.ValueError", msg: fmt.Sprintf("Invalid field res.partner.%s in leaf %s", name, leafText), class: "parameter"}
	}
	got := d.value(f, rec)
	if pair, ok := got.([]any); ok {
		got = pair[0] // many2one compares by id…
		if opr == "ilike" || opr == "like" {
			got = pair[1] // …or by name
		}
	}
	want := l[2]
	if n, ok := want.(float64); ok {
		want = int(n)
	}
	text := func(v any) string { return strings.ToLower(fmt.Sprint(v)) }
	switch opr {
	case "=", "==":
		return got == want, nil
	case "!=", "<>":
		return got != want, nil
	case "like", "ilike", "=ilike":
		return got != false && strings.Contains(text(got), text(want)), nil
	case "not ilike", "not like":
		return got == false || !strings.Contains(text(got), text(want)), nil
	case "in", "not in":
		list, _ := want.([]any)
		in := false
		for _, w := range list {
			if n, ok := w.(float64); ok {
				w = int(n)
			}
			in = in || got == w
		}
		return in == (opr == "in"), nil
	case "<", ">", "<=", ">=":
		a, b := text(got), text(want)
		if x, ok := got.(int); ok {
			a, b = fmt.Sprintf("%012d", x), fmt.Sprintf("%012d", toInt(want))
		}
		return map[string]bool{"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[opr], nil
	}
	return false, &odooErr{name: "builtins.ValueError", msg: "Invalid leaf " + leafText, class: "parameter"}
}

// toInt converts a JSON number to int; anything else is 0.
func toInt(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	}
	return 0
}

// toInts accepts an id or a list of ids.
func toInts(v any) ([]int, bool) {
	switch t := v.(type) {
	case float64:
		return []int{int(t)}, true
	case []any:
		out := make([]int, 0, len(t))
		for _, x := range t {
			n, ok := x.(float64)
			if !ok {
				return nil, false
			}
			out = append(out, int(n))
		}
		return out, true
	}
	return nil, false
}

func anyInts(ids []int) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = float64(id)
	}
	return out
}

// strList converts a JSON list of strings.
func strList(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
