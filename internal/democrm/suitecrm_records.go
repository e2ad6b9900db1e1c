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

// suiteParams merges the route placeholders, the query and the body the
// way ParamsMiddleware hands them to OptionsResolver.
func suiteParams(q *suiteRequest) map[string]any {
	p := map[string]any{}
	for k, v := range q.args {
		p[k] = v
	}
	maps.Copy(p, q.query)
	maps.Copy(p, q.body)
	return p
}

// find returns the record of m with id. MySQL compares ids without regard
// to case, so an id in capitals finds the record too.
func (d *suitecrm) find(m *suiteModule, id string) (record, bool) {
	if rec, ok := d.s.store.get(m.table(), id); ok {
		return rec, true
	}
	for _, rec := range d.s.store.all(m.table()) {
		if strings.EqualFold(rec.id, id) {
			return rec, true
		}
	}
	return record{}, false
}

// bean is BeanManager::getBeanSafe: the record of module with id, or the
// exception SuiteCRM throws. The class of an unknown module is parameter,
// as for the other dialects' unknown objects, although the text says "not
// found".
func (d *suitecrm) bean(module, id string, params bool) (*suiteModule, record, *suiteErr) {
	wrap := func(class, detail string) *suiteErr {
		return &suiteErr{class: class, detail: detail, params: params}
	}
	m := suiteLookup(module)
	if m == nil {
		return nil, record{}, wrap("parameter", fmt.Sprintf("Module with name %s is not found", module))
	}
	rec, ok := d.find(m, id)
	if !ok {
		return nil, record{}, wrap("not_found", fmt.Sprintf("%s module with id %s is not found", m.name, id))
	}
	return m, rec, nil
}

// newBean is BeanManager::newBeanSafe: the module, or the exception for an
// unknown one.
func newBean(module string) (*suiteModule, *suiteErr) {
	if m := suiteLookup(module); m != nil {
		return m, nil
	}
	return nil, paramErr(fmt.Sprintf("Module %s does not exist", module))
}

// fieldsParam resolves a fields[Module]=a,b parameter: the module is the key's,
// whatever the path says, and every name must be one of its attributes.
func fieldsParam(v any) ([]string, *suiteErr) {
	if e := optItems("fields", v, suiteFieldRE); e != nil {
		return nil, e
	}
	m, _ := phpArray(v)
	key := slices.Sorted(maps.Keys(m))[0]
	mod, e := newBean(key)
	if e != nil {
		return nil, e
	}
	names := strings.Split(phpString(m[key]), ",")
	var bad []string
	for _, n := range names {
		if !slices.Contains(mod.attrs, n) && n != "id" {
			bad = append(bad, n)
		}
	}
	switch len(bad) {
	case 0:
		return names, nil
	case 1:
		return nil, paramErr(fmt.Sprintf("The following field in %s module is not found: %s", mod.object, bad[0]))
	}
	return nil, paramErr(fmt.Sprintf("The following fields in %s module are not found: %s", mod.object, strings.Join(bad, ", ")))
}

// get answers GET /V8/module/{moduleName}/{id}.
func (d *suitecrm) get(o *op) (answer, *suiteErr) {
	q := o.suite
	p := suiteParams(q)
	if e := cmp.Or(optUndefined(p, "fields", "id", "moduleName"), optString("moduleName", p["moduleName"], suiteNameRE),
		optString("id", p["id"], suiteIDRE)); e != nil {
		return answer{}, e
	}
	var fields []string
	if v, ok := p["fields"]; ok {
		var e *suiteErr
		if fields, e = fieldsParam(v); e != nil {
			return answer{}, e
		}
	}
	m, rec, e := d.bean(q.module, q.id, false)
	if e != nil {
		return answer{}, e
	}
	a := suiteDoc(http.StatusOK, "ok", obj{{"data", d.render(m, rec, fields, q.api, q.drift)}})
	return a, nil
}

// reads returns how many records a GET of a record or a list would
// return, so that drift fires only into an answer with records to change.
func (d *suitecrm) reads(o *op) int {
	if o.suite.route == scRecord {
		a, e := d.get(o)
		if e != nil || a.status != http.StatusOK {
			return 0
		}
		return 1
	}
	page, e := d.selectList(o)
	if e != nil {
		return 0
	}
	return len(page.recs)
}

// writeAttrs checks a data object's attributes against module (the Attributes
// option) and returns them as SuiteCRM stores them.
func writeAttrs(module string, v any, present bool) (map[string]any, *suiteErr) {
	fields := map[string]any{}
	if !present {
		return fields, nil
	}
	if e := optItems("attributes", v, suiteFieldRE); e != nil {
		return nil, e
	}
	m, e := newBean(module)
	if e != nil {
		return nil, e
	}
	attrs, _ := phpArray(v)
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		if !slices.Contains(m.attrs, k) && k != "id" {
			return nil, paramErr(fmt.Sprintf("Property %s in %s module is invalid", k, m.object))
		}
		if k != "id" && !slices.Contains(m.derived, k) {
			fields[k] = phpString(attrs[k])
		}
	}
	return fields, nil
}

// dataParam resolves the data member of a create or an update body; update
// asks for an id (the Id option) where create allows one (a loose UUID).
func dataParam(q *suiteRequest, update bool) (typ, id string, fields map[string]any, e *suiteErr) {
	p := suiteParams(q)
	if e := optUndefined(p, "data"); e != nil {
		return "", "", nil, e
	}
	v, ok := p["data"]
	if !ok {
		return "", "", nil, optMissing("data")
	}
	if e := optItems("data", v, nil); e != nil {
		return "", "", nil, e
	}
	data, _ := phpArray(v)
	if e := optUndefined(data, "attributes", "id", "type"); e != nil {
		return "", "", nil, e
	}
	if _, ok := data["type"]; !ok {
		return "", "", nil, optMissing("type")
	}
	if e := optString("type", data["type"], suiteNameRE); e != nil {
		return "", "", nil, e
	}
	rawID, hasID := data["id"]
	switch {
	case update && !hasID:
		return "", "", nil, optMissing("id")
	case update:
		e = optString("id", rawID, suiteIDRE)
	case hasID:
		if e = optType("id", rawID, "string"); e == nil && !looseUUID(rawID.(string)) {
			e = optInvalid("id", rawID)
		}
	}
	if e != nil {
		return "", "", nil, e
	}
	typ, id = data["type"].(string), phpString(rawID)
	attrs, present := data["attributes"]
	fields, e = writeAttrs(typ, attrs, present)
	return typ, id, fields, e
}

// create answers POST /V8/module with 201 and the new record.
func (d *suitecrm) create(o *op) (answer, *suiteErr) {
	typ, id, fields, e := dataParam(o.suite, false)
	if e != nil {
		return answer{}, e
	}
	m, e := newBean(typ)
	if e != nil {
		return answer{}, e
	}
	if id != "" {
		// getBean is asked to include deleted records here, so an id once
		// used stays taken.
		if _, ok := d.find(m, id); ok || d.s.store.removed(m.table(), id) {
			return answer{}, controllerErr("conflict", fmt.Sprintf("Bean %s with id %s is already exist", typ, id))
		}
	} else {
		id = d.s.uuid()
	}
	for k, v := range map[string]any{"created_by": "1", "modified_user_id": "1"} {
		if _, set := fields[k]; !set {
			fields[k] = v
		}
	}
	rec := d.s.store.insert(m.table(), fields, d.s.opts.Now(), func(int) string { return id })
	return suiteDoc(http.StatusCreated, "ok", obj{{"data", d.render(m, rec, nil, o.suite.api+"/"+rec.id, false)}}), nil
}

// update answers PATCH /V8/module with the changed record. The swagger
// contract gives 200; some SuiteCRM 7.1x releases answer 201.
func (d *suitecrm) update(o *op) (answer, *suiteErr) {
	typ, id, fields, e := dataParam(o.suite, true)
	if e != nil {
		return answer{}, e
	}
	m, rec, e := d.bean(typ, id, false)
	if e != nil {
		return answer{}, e
	}
	rec, _ = d.s.store.update(m.table(), rec.id, fields, d.s.opts.Now())
	return suiteDoc(http.StatusOK, "ok", obj{{"data", d.render(m, rec, nil, o.suite.api+"/"+rec.id, false)}}), nil
}

// remove answers DELETE /V8/module/{moduleName}/{id}.
func (d *suitecrm) remove(o *op) (answer, *suiteErr) {
	q := o.suite
	p := suiteParams(q)
	if e := cmp.Or(optUndefined(p, "id", "moduleName"), optString("moduleName", p["moduleName"], suiteNameRE),
		optString("id", p["id"], suiteIDRE)); e != nil {
		return answer{}, e
	}
	m, rec, e := d.bean(q.module, q.id, false)
	if e != nil {
		return answer{}, e
	}
	d.s.store.remove(m.table(), rec.id)
	return suiteMeta(http.StatusOK, fmt.Sprintf("Record with id %s is deleted", rec.id)), nil
}

// pagination builds the links of PaginationObjectHelper: the request's
// own query with page[number] set, URL-decoded as SuiteCRM leaves it.
func pagination(q *suiteRequest, path string, number int) string {
	var parts []string
	set, lastPage := false, -1
	for _, p := range q.pairs {
		if p.key == "page[number]" {
			if set {
				continue
			}
			p.value, set = strconv.Itoa(number), true
		}
		if strings.HasPrefix(p.key, "page[") {
			lastPage = len(parts)
		}
		parts = append(parts, p.key+"="+p.value)
	}
	if !set {
		parts = slices.Insert(parts, lastPage+1, "page[number]="+strconv.Itoa(number))
	}
	return path + "?" + strings.Join(parts, "&")
}
