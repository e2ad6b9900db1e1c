package democrm

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// suitePage is the part of a module's records a list request selects.
type suitePage struct {
	mod    *suiteModule
	recs   []record
	total  int      // records matching the filter
	size   int      // page[size]; 0 without one, which selects every record
	number int      // page[number]; 0 without one
	fields []string // fields[…]; nil for every attribute
}

// selectList resolves the parameters of GET /V8/module/{moduleName} in
// the order OptionsResolver resolves them (filter first, as it has a
// default) and selects the page.
func (d *suitecrm) selectList(o *op) (suitePage, *suiteErr) {
	q := o.suite
	p := suiteParams(q)
	if e := optUndefined(p, "fields", "filter", "moduleName", "page", "sort"); e != nil {
		return suitePage{}, e
	}
	filter, hasFilter := p["filter"]
	if hasFilter {
		if e := optType("filter", filter, "array"); e != nil {
			return suitePage{}, e
		}
		if blank(filter) {
			return suitePage{}, optInvalid("filter", filter)
		}
	}
	if e := optString("moduleName", p["moduleName"], suiteNameRE); e != nil {
		return suitePage{}, e
	}
	m, e := newBean(q.module)
	if e != nil {
		return suitePage{}, e
	}
	match, e := d.where(m, filter)
	if e != nil {
		return suitePage{}, e
	}
	pg := suitePage{mod: m}
	if v, ok := p["fields"]; ok {
		if pg.fields, e = fieldsParam(v); e != nil {
			return suitePage{}, e
		}
	}
	if v, ok := p["page"]; ok {
		if pg.size, pg.number, e = pageParam(v); e != nil {
			return suitePage{}, e
		}
	}
	order := func(a, b record) int { return strings.Compare(a.id, b.id) } // InnoDB's primary key order
	if v, ok := p["sort"]; ok {
		by, desc, e := sortParam(m, v)
		if e != nil {
			return suitePage{}, e
		}
		order = func(a, b record) int {
			c := compareValues(d.dbValue(m, a, by), d.dbValue(m, b, by))
			if desc {
				c = -c
			}
			return cmp.Or(c, strings.Compare(a.id, b.id))
		}
	}
	for _, rec := range d.s.store.all(m.table()) {
		if match(rec) {
			pg.recs = append(pg.recs, rec)
		}
	}
	slices.SortFunc(pg.recs, order)
	pg.total = len(pg.recs)
	if pg.size > 0 {
		from := 0
		if pg.number > 0 {
			from = min((pg.number-1)*pg.size, pg.total)
		}
		pg.recs = pg.recs[from:min(from+pg.size, pg.total)]
	}
	return pg, nil
}

// list answers GET /V8/module/{moduleName}. Only a request with
// page[size] gets the pagination meta and links, as in ModuleService.
func (d *suitecrm) list(o *op) (answer, *suiteErr) {
	q := o.suite
	pg, e := d.selectList(o)
	if e != nil {
		return answer{}, e
	}
	if len(pg.recs) == 0 {
		return suiteMeta(http.StatusOK, "Request was successful, but there is no result"), nil
	}
	data := make([]obj, 0, len(pg.recs))
	for _, rec := range pg.recs {
		data = append(data, d.render(pg.mod, rec, pg.fields, q.api+"/"+rec.id, q.drift))
	}
	if pg.size == 0 {
		return suiteDoc(http.StatusOK, "ok", obj{{"data", data}}), nil
	}
	pages := (pg.total + pg.size - 1) / pg.size
	var first, prev, next, last any
	if pg.number > 1 {
		first, prev = pagination(q, q.api, 1), pagination(q, q.api, pg.number-1)
	}
	if pg.number+1 <= pages {
		next, last = pagination(q, q.api, pg.number+1), pagination(q, q.api, pages)
	}
	return suiteDoc(http.StatusOK, "ok", obj{
		{"meta", obj{{"total-pages", pages}, {"records-on-this-page", len(data)}}},
		{"data", data},
		{"links", obj{{"first", first}, {"prev", prev}, {"next", next}, {"last", last}}},
	}), nil
}

// pageParam resolves page[size] and page[number] (the Page option and
// PageParams): digits only, each above zero.
func pageParam(v any) (size, number int, e *suiteErr) {
	if e := optItems("page", v, suitePageRE); e != nil {
		return 0, 0, e
	}
	page, _ := phpArray(v)
	if e := optUndefined(page, "number", "size"); e != nil {
		return 0, 0, e
	}
	get := func(name string) (int, *suiteErr) {
		raw, ok := page[name]
		if !ok {
			return 0, nil
		}
		if e := optType(name, raw, "string"); e != nil {
			return 0, e
		}
		n, err := strconv.Atoi(raw.(string))
		if err != nil || n <= 0 {
			return 0, optInvalid(name, raw)
		}
		return n, nil
	}
	if size, e = get("size"); e != nil {
		return 0, 0, e
	}
	number, e = get("number")
	return size, number, e
}

// sortParam resolves sort: one attribute, descending with a leading "-".
func sortParam(m *suiteModule, v any) (by string, desc bool, e *suiteErr) {
	if e := optType("sort", v, "string"); e != nil {
		return "", false, e
	}
	s := v.(string)
	if s == "" || suiteSortRE.MatchString(s) {
		return "", false, optInvalid("sort", v)
	}
	desc = s[0] == '-'
	by = strings.TrimLeft(s, "-")
	if !filterable(m, by) {
		return "", false, paramErr(fmt.Sprintf("Sort field %s in %s module is not found", by, m.object))
	}
	return by, desc, nil
}

// filterable reports whether name is a field the module's SQL knows.
func filterable(m *suiteModule, name string) bool {
	return name == "id" || slices.Contains(m.attrs, name)
}

// where resolves a filter the way Repository\Filter::parseWhere builds its
// SQL: filter[field][op]=value conditions joined by filter[operator] (AND
// unless set), with deleted = 0 added unless the filter names deleted.
// Comparisons follow MySQL's: case-insensitive for text, numeric for
// numbers.
func (d *suitecrm) where(m *suiteModule, filter any) (func(record) bool, *suiteErr) {
	params, _ := phpArray(filter)
	params = maps.Clone(params)
	if params == nil {
		params = map[string]any{}
	}
	join := "AND"
	if op, ok := params["operator"]; ok {
		if !suiteOperator(phpString(op)) {
			return nil, paramErr(fmt.Sprintf("Filter operator %s is invalid", phpString(op)))
		}
		join = strings.ToUpper(phpString(op))
		delete(params, "operator")
	}
	if _, ok := params["deleted"]; !ok {
		params["deleted"] = map[string]any{"eq": "0"}
	}
	type cond struct{ field, op, value string }
	var conds []cond
	for _, field := range slices.Sorted(maps.Keys(params)) {
		if !filterable(m, field) {
			return nil, paramErr(fmt.Sprintf("Filter field %s in %s module is not found", field, m.object))
		}
		expr, ok := phpArray(params[field])
		if !ok {
			return nil, paramErr(fmt.Sprintf("Filter field %s must be an array", field))
		}
		for _, op := range slices.Sorted(maps.Keys(expr)) {
			if !suiteOperator(op) {
				return nil, paramErr(fmt.Sprintf("Filter operator %s is invalid", op))
			}
			if isArray(expr[op]) {
				// DBManager::quoted() on an array is a TypeError, which
				// no catch block in the API takes.
				return nil, &suiteErr{class: "server", crash: true}
			}
			conds = append(conds, cond{field, strings.ToUpper(op), phpString(expr[op])})
		}
	}
	if join != "AND" && join != "OR" {
		// "a = 1 EQ b = 2" is no SQL: the list query fails and sugar_die
		// throws the database failure.
		return nil, suiteDBFailure()
	}
	return func(rec record) bool {
		for _, c := range conds {
			v := d.dbValue(m, rec, c.field)
			var ok bool
			switch cmpv := compareValues(v, c.value); c.op {
			case "EQ":
				ok = cmpv == 0
			case "NEQ":
				ok = cmpv != 0
			case "GT":
				ok = cmpv > 0
			case "GTE":
				ok = cmpv >= 0
			case "LT":
				ok = cmpv < 0
			case "LTE":
				ok = cmpv <= 0
			}
			if ok == (join == "OR") {
				return ok
			}
		}
		return join == "AND"
	}, nil
}

// suiteOperator reports whether Filter::checkOperator accepts op: any name
// with an OP_ constant, the joining AND and OR included.
func suiteOperator(op string) bool {
	return slices.Contains([]string{"EQ", "NEQ", "GT", "GTE", "LT", "LTE", "AND", "OR"}, strings.ToUpper(op))
}

// compareValues compares as MySQL compares a column with a quoted value:
// numerically when both are numbers, otherwise without regard to case.
func compareValues(a, b string) int {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil {
		return cmp.Compare(x, y)
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}
