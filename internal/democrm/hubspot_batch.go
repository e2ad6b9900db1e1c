package democrm

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// batch answers POST /crm/v3/objects/{type}/batch/{create|upsert|update|read}.
// Items are handled one by one: when some fail the answer is 207
// Multi-Status with the failures in errors[]; when every write fails it is
// the first failure alone. fail, when set, forces an error onto item i, as
// a fault does.
func (d *hubspot) batch(o *op, fail func(i int) *hsErr) answer {
	t := o.hs.typ
	var req struct {
		Inputs     []hsInput `json:"inputs"`
		Properties []string  `json:"properties"`
		IDProperty string    `json:"idProperty"`
	}
	if !slices.Contains([]string{"create", "upsert", "update", "read"}, o.hs.batch) {
		return jettyPage(http.StatusNotFound, o.path)
	}
	if err := json.Unmarshal(o.body, &req); err != nil {
		return d.error(o, hsBadJSON(err))
	}
	started := hsTime(d.s.opts.Now())
	results := []obj{}
	var errs []obj
	var first *hsErr
	var missing []string
	for i, in := range req.Inputs {
		var e *hsErr
		if fail != nil {
			e = fail(i)
		}
		var res obj
		if e == nil {
			res, e = d.batchItem(o, t, in, req.Properties, req.IDProperty)
		}
		switch {
		case e != nil && o.hs.batch == "read" && e.category == "OBJECT_NOT_FOUND":
			missing = append(missing, in.ID)
		case e != nil:
			errs = append(errs, e.item())
		default:
			results = append(results, res)
			continue
		}
		if first == nil {
			first = e
		}
	}
	if len(missing) > 0 {
		errs = append(errs, obj{{"status", "error"}, {"category", "OBJECT_NOT_FOUND"},
			{"message", "Could not get some " + strings.ToUpper(t.singular) + " objects, they may be deleted or not exist. Check that ids are valid."},
			{"context", map[string][]string{"ids": missing}}})
	}
	if first != nil && len(results) == 0 && o.hs.batch != "read" {
		return d.error(o, first)
	}
	status := http.StatusOK
	if o.hs.batch == "create" {
		status = http.StatusCreated
	}
	body := obj{{"status", "COMPLETE"}, {"results", results}}
	if len(errs) > 0 {
		status = http.StatusMultiStatus
		body = append(body, kv{"numErrors", len(errs)}, kv{"errors", errs})
	}
	body = append(body, kv{"startedAt", started}, kv{"completedAt", hsTime(d.s.opts.Now())})
	a := jsonAnswer(status, "ok", body)
	if first != nil {
		a.class, a.code = first.class, first.category
	}
	return a
}

// batchItem writes or reads one input of a batch.
func (d *hubspot) batchItem(o *op, t hsType, in hsInput, props []string, idProperty string) (obj, *hsErr) {
	keys := slices.Collect(maps.Keys(in.Properties))
	switch o.hs.batch {
	case "create":
		rec, e := d.insert(t, in.Properties)
		if e != nil {
			return nil, e
		}
		return hsRender(t, rec, keys), nil
	case "read":
		id := in.ID
		if idProperty != "" {
			rec, ok := d.s.store.find(t.table(), idProperty, in.ID)
			if !ok {
				return nil, hsNotFound(in.ID)
			}
			id = rec.id
		}
		rec, ok := d.s.store.get(t.table(), id)
		if !ok {
			return nil, hsNotFound(in.ID)
		}
		return hsRender(t, rec, props), nil
	case "update":
		fields, e := d.validate(t, in.Properties)
		if e != nil {
			return nil, e
		}
		rec, ok := d.s.store.update(t.table(), in.ID, fields, d.s.opts.Now())
		if !ok {
			return nil, hsNotFound(in.ID)
		}
		return hsRender(t, rec, keys), nil
	}
	// upsert: find by the unique property, update or create.
	prop := cmp.Or(in.IDProperty, idProperty)
	if prop == "" || !slices.Contains(t.props, prop) {
		return nil, &hsErr{status: http.StatusBadRequest, class: "parameter", category: "VALIDATION_ERROR",
			msg: "idProperty must name a unique property of " + t.name}
	}
	if rec, ok := d.s.store.find(t.table(), prop, in.ID); ok {
		fields, e := d.validate(t, in.Properties)
		if e != nil {
			return nil, e
		}
		rec, _ = d.s.store.update(t.table(), rec.id, fields, d.s.opts.Now())
		return append(hsRender(t, rec, keys), kv{"new", false}), nil
	}
	props2 := maps.Clone(in.Properties)
	if props2 == nil {
		props2 = map[string]any{}
	}
	props2[prop] = in.ID
	rec, e := d.insert(t, props2)
	if e != nil {
		return nil, e
	}
	return append(hsRender(t, rec, keys), kv{"new", true}), nil
}
