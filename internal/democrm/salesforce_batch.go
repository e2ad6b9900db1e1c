package democrm

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// sfItem is one record of an sObject Collections request on its way
// through.
type sfItem struct {
	object sfObject
	id     string // for updates
	fields map[string]any
	err    *sfErr
}

// collection answers POST (create) and PATCH (update) on
// …/composite/sobjects. A well-formed request answers 200 with one
// SaveResult per record, failures included; with allOrNone one failure
// rolls back every record. fail, when set, forces an error onto item i, as
// a fault does.
func (d *salesforce) collection(o *op, fail func(i int) *sfErr) answer {
	var req struct {
		AllOrNone bool              `json:"allOrNone"`
		Records   []json.RawMessage `json:"records"`
	}
	if err := json.Unmarshal(o.body, &req); err != nil {
		_, e := sfDecode(o.body)
		if e == nil {
			e = sfError(http.StatusBadRequest, "data_format", "JSON_PARSER_ERROR", "Cannot deserialize instance of SObject[] from VALUE_STRING value or request may be missing a required field at [line:1, column:1]")
		}
		return e.answer()
	}
	items := make([]sfItem, len(req.Records))
	failed := false
	for i, raw := range req.Records {
		it := &items[i]
		it.err = d.prepare(o, raw, it)
		if fail != nil {
			if e := fail(i); e != nil {
				it.err = e
			}
		}
		failed = failed || it.err != nil
	}
	results := make([]obj, len(items))
	var firstErr *sfErr
	for i := range items {
		it := &items[i]
		if it.err == nil && req.AllOrNone && failed {
			it.err = &sfErr{class: "ok", code: "ALL_OR_NONE_OPERATION_ROLLED_BACK",
				msg: "Record rolled back because not all records were valid and the request was using AllOrNone header"}
		}
		if it.err == nil {
			it.err = d.save(o, it)
		}
		if it.err != nil {
			if firstErr == nil && it.err.class != "ok" {
				firstErr = it.err
			}
			res := obj{{"success", false}, {"errors", []obj{it.err.item()}}}
			if it.id != "" {
				res = append(obj{{"id", it.id}}, res...)
			}
			results[i] = res
			continue
		}
		results[i] = sfSaved(it.id)
	}
	a := jsonAnswer(http.StatusOK, "ok", results)
	if firstErr != nil {
		a.class, a.code = firstErr.class, firstErr.code
	}
	return a
}

// prepare decodes and validates one record of a collection into it.
func (d *salesforce) prepare(o *op, raw json.RawMessage, it *sfItem) *sfErr {
	in, e := sfDecode(raw)
	if e != nil {
		return e
	}
	attrs, _ := in["attributes"].(map[string]any)
	typ, _ := attrs["type"].(string)
	if typ == "" {
		return sfError(0, "parameter", "INVALID_TYPE", "Must send a concrete entity type.")
	}
	ob, ok := sfLookup(typ)
	if !ok {
		return sfError(0, "parameter", "INVALID_TYPE", fmt.Sprintf("sObject type '%s' is not supported.", typ))
	}
	it.object = ob
	if o.method == http.MethodPatch {
		raw, _ := in["Id"].(string)
		delete(in, "Id")
		id, ok := sfNormID(raw)
		if !ok || id[:3] != ob.prefix {
			return sfError(0, "parameter", "MALFORMED_ID", fmt.Sprintf("%s ID: id value of incorrect type: %s", ob.label, raw), "Id")
		}
		it.id = id
	}
	it.fields, e = sfValidate(ob, in, o.method == http.MethodPost, raw)
	return e
}

// save stores one prepared record.
func (d *salesforce) save(o *op, it *sfItem) *sfErr {
	if o.method == http.MethodPatch {
		if _, ok := d.s.store.update(it.object.table(), it.id, it.fields, d.s.opts.Now()); !ok {
			e := d.missing(it.object, it.id)
			if e.code == "NOT_FOUND" {
				e = sfError(0, "not_found", "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
			}
			return e
		}
		return nil
	}
	unique := sfUnique(it.object)
	rec, dup, ok := d.s.store.insertUnique(it.object.table(), unique, it.fields, d.s.opts.Now(),
		func(seq int) string { return sfID(it.object.prefix, seq) })
	if !ok {
		return sfError(0, "conflict", "DUPLICATE_VALUE", fmt.Sprintf("duplicate value found: %s duplicates value on record with id: %s", unique, dup.id))
	}
	it.id = rec.id
	return nil
}
