package democrm

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
)

// SuiteCRM relates a contact to accounts through the accounts_contacts
// table; the sample keeps one account per contact, in its account_id, so
// that writing account_id and adding a relationship are the same change.

// sourceBean resolves moduleName and id and loads the record a
// relationship route starts from. Its parameter class loads it, so an
// error comes from ParamsMiddleware.
func (d *suitecrm) sourceBean(q *suiteRequest) (*suiteModule, record, *suiteErr) {
	if e := cmp.Or(optString("moduleName", q.args["moduleName"], suiteNameRE),
		optString("id", q.args["id"], suiteIDRE)); e != nil {
		return nil, record{}, e
	}
	return d.bean(q.module, q.id, true)
}

// loadLink is the LinkFieldName option: a link field m has.
func loadLink(m *suiteModule, name string) (suiteLink, *suiteErr) {
	if e := optString("linkFieldName", name, suiteNameRE); e != nil {
		return suiteLink{}, e
	}
	l, ok := m.link(name)
	if !ok {
		return suiteLink{}, paramErr(fmt.Sprintf("Cannot load relationship %s for %s module", name, m.object))
	}
	return l, nil
}

// linked returns the records related to src through link, and their
// module; links to modules the sample has no records of are empty.
func (d *suitecrm) linked(m *suiteModule, src record, link suiteLink) (*suiteModule, []record) {
	rm := suiteLookup(link.module)
	switch {
	case rm == nil:
		return nil, nil
	case m.name == "Contacts":
		id, _ := src.fields["account_id"].(string)
		if acc, ok := d.s.store.get(rm.table(), id); ok && id != "" {
			return rm, []record{acc}
		}
		return rm, nil
	}
	var out []record
	for _, c := range d.s.store.all(rm.table()) {
		if c.fields["account_id"] == src.id {
			out = append(out, c)
		}
	}
	return rm, out
}

// setLink adds or removes the link between a contact and an account,
// from whichever side the request starts.
func (d *suitecrm) setLink(m *suiteModule, src record, other record, add bool) {
	contact, account := src, other
	if m.name == "Accounts" {
		contact, account = other, src
	}
	id := ""
	if add {
		id = account.id
	}
	d.s.store.update(SuiteCRM+"/Contacts", contact.id, map[string]any{"account_id": id}, d.s.opts.Now())
}

// related answers GET …/relationships/{linkFieldName}: the related
// records' types and ids, each with a self link that names the module by
// its object name (/V8/module/Account/…), as RelationshipService does.
func (d *suitecrm) related(o *op) (answer, *suiteErr) {
	q := o.suite
	if e := optUndefined(suiteParams(q), "id", "linkFieldName", "moduleName", "sourceBean"); e != nil {
		return answer{}, e
	}
	m, src, e := d.sourceBean(q)
	if e != nil {
		return answer{}, e
	}
	link, e := loadLink(m, q.args["linkFieldName"])
	if e != nil {
		return answer{}, e
	}
	rm, recs := d.linked(m, src, link)
	if len(recs) == 0 {
		return suiteMeta(http.StatusOK, fmt.Sprintf("There is no relationship set in %s module with %s link field", m.object, link.name)), nil
	}
	data := make([]obj, 0, len(recs))
	for _, rec := range recs {
		data = append(data, obj{{"type", rm.object}, {"id", rec.id},
			{"links", obj{{"self", fmt.Sprintf("/V8/module/%s/%s", rm.object, rec.id)}}}})
	}
	return suiteDoc(http.StatusOK, "ok", obj{{"data", data}}), nil
}

// relate answers POST …/relationships with {"data": {"type", "id"}}: the
// link field is the one between the two modules.
func (d *suitecrm) relate(o *op) (answer, *suiteErr) {
	q := o.suite
	p := suiteParams(q)
	if e := optUndefined(p, "data", "id", "moduleName", "relatedBean", "sourceBean"); e != nil {
		return answer{}, e
	}
	v, ok := p["data"]
	if !ok {
		return answer{}, optMissing("data")
	}
	m, src, e := d.sourceBean(q)
	if e != nil {
		return answer{}, e
	}
	if e := optItems("data", v, nil); e != nil {
		return answer{}, e
	}
	data, _ := phpArray(v)
	if e := optUndefined(data, "id", "type"); e != nil {
		return answer{}, e
	}
	var missing []string
	for _, k := range []string{"id", "type"} {
		if _, ok := data[k]; !ok {
			missing = append(missing, k)
		}
	}
	switch len(missing) {
	case 1:
		return answer{}, optMissing(missing[0])
	case 2:
		return answer{}, paramErr(`The required options "id", "type" are missing.`)
	}
	if e := cmp.Or(optString("type", data["type"], suiteNameRE), optString("id", data["id"], suiteIDRE)); e != nil {
		return answer{}, e
	}
	rm, rel, e := d.bean(data["type"].(string), data["id"].(string), true)
	if e != nil {
		return answer{}, e
	}
	if _, ok := m.linkTo(rm.name); !ok {
		return answer{}, controllerErr("parameter", fmt.Sprintf("Link field has not found in %s to determine relationship for %s", m.object, rm.object))
	}
	d.setLink(m, src, rel, true)
	return suiteMeta(http.StatusCreated, fmt.Sprintf("%s with id %s has been added to %s with id %s", rm.object, rel.id, m.object, src.id)), nil
}

// unrelate answers DELETE …/relationships/{linkFieldName}/{relatedBeanId}.
func (d *suitecrm) unrelate(o *op) (answer, *suiteErr) {
	q := o.suite
	if e := optUndefined(suiteParams(q), "id", "linkFieldName", "moduleName", "relatedBeanId", "sourceBean"); e != nil {
		return answer{}, e
	}
	m, src, e := d.sourceBean(q)
	if e != nil {
		return answer{}, e
	}
	link, e := loadLink(m, q.args["linkFieldName"])
	if e != nil {
		return answer{}, e
	}
	rid := q.args["relatedBeanId"]
	if e := optString("relatedBeanId", rid, suiteIDRE); e != nil {
		return answer{}, e
	}
	rm, recs := d.linked(m, src, link)
	i := slices.IndexFunc(recs, func(r record) bool { return r.id == rid })
	if i < 0 {
		return answer{}, controllerErr("parameter", fmt.Sprintf("Module with %s id is not related to %s", rid, m.object))
	}
	d.setLink(m, src, recs[i], false)
	return suiteMeta(http.StatusOK, fmt.Sprintf("Relationship has been deleted between %s with id %s and %s with id %s",
		m.object, src.id, rm.object, recs[i].id)), nil
}
