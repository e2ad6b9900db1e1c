package democrm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// sfDecode decodes a JSON object body, as the REST API's deserializer does.
func sfDecode(body []byte) (map[string]any, *sfErr) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := dec.Decode(&m)
	if err == nil && m != nil {
		return m, nil
	}
	msg := "Cannot deserialize instance of SObject from VALUE_NULL value null or request may be missing a required field at [line:1, column:1]"
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		c := rune(0)
		if syn.Offset > 0 && int(syn.Offset) <= len(body) {
			c, _ = utf8.DecodeRune(body[syn.Offset-1:])
		}
		msg = fmt.Sprintf("Unexpected character ('%c' (code %d)): expected a valid value (number, String, array, object, 'true', 'false' or 'null') at [line:1, column:%d]", c, c, syn.Offset)
	case errors.As(err, &typ):
		msg = fmt.Sprintf("Cannot deserialize instance of SObject from START_%s value or request may be missing a required field at [line:1, column:1]", strings.ToUpper(typ.Value))
	case err != nil:
		msg = "Unexpected end-of-input: expected close marker for Object at [line:1, column:1]"
	}
	return nil, sfError(http.StatusBadRequest, "data_format", "JSON_PARSER_ERROR", msg)
}

// sfValidate checks the fields of a write and returns them converted to
// stored values. Keys are checked in sorted order so the first error is
// stable.
func sfValidate(ob sfObject, in map[string]any, creating bool, body []byte) (map[string]any, *sfErr) {
	out := map[string]any{}
	keys := make([]string, 0, len(in))
	for k := range in {
		if k != "attributes" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		f, ok := ob.field(k)
		if !ok {
			return nil, sfError(http.StatusBadRequest, "parameter", "INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", k, ob.name))
		}
		if creating && !f.createable || !creating && !f.updateable {
			verb := map[bool]string{true: "create", false: "update"}[creating]
			return nil, sfError(http.StatusBadRequest, "data_format", "INVALID_FIELD_FOR_INSERT_UPDATE",
				fmt.Sprintf("Unable to %s fields: %s. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", verb, f.name), f.name)
		}
		v, e := sfConvert(f, in[k], body)
		if e != nil {
			return nil, e
		}
		out[f.name] = v
	}
	for _, f := range ob.fields {
		if v, set := out[f.name]; f.required && (creating && (!set || v == nil || v == "") || !creating && set && (v == nil || v == "")) {
			return nil, sfError(http.StatusBadRequest, "data_format", "REQUIRED_FIELD_MISSING", fmt.Sprintf("Required fields are missing: [%s]", f.name), f.name)
		}
	}
	return out, nil
}

// sfConvert checks one value against its field.
func sfConvert(f sfField, v any, body []byte) (any, *sfErr) {
	if v == nil {
		return nil, nil
	}
	parseErr := func(kind, token string) *sfErr {
		col := bytes.Index(body, []byte(`"`+f.name+`"`)) + len(f.name) + 4
		return sfError(http.StatusBadRequest, "data_format", "JSON_PARSER_ERROR", fmt.Sprintf(
			"Cannot deserialize instance of %s from %s value %v or request may be missing a required field at [line:1, column:%d]", kind, token, v, col))
	}
	switch f.typ {
	case "int":
		n, ok := v.(json.Number)
		i, err := n.Int64()
		if !ok || err != nil {
			return nil, parseErr("int", "VALUE_STRING")
		}
		return int(i), nil
	case "boolean":
		b, ok := v.(bool)
		if !ok {
			return nil, parseErr("boolean", "VALUE_STRING")
		}
		return b, nil
	}
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case json.Number, bool:
		s = fmt.Sprint(t)
	default:
		return nil, parseErr(f.typ, "START_OBJECT")
	}
	switch f.typ {
	case "date":
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return nil, parseErr("date", "VALUE_STRING")
		}
	case "reference":
		id, ok := sfNormID(s)
		if !ok || !strings.HasPrefix(id, "001") {
			return nil, sfError(http.StatusBadRequest, "parameter", "MALFORMED_ID", fmt.Sprintf("%s: id value of incorrect type: %s", f.label, s), f.name)
		}
		return id, nil
	case "email":
		if at := strings.LastIndex(s, "@"); at < 1 || !strings.Contains(s[at:], ".") || strings.ContainsAny(s, " ,;") {
			return nil, sfError(http.StatusBadRequest, "data_format", "INVALID_EMAIL_ADDRESS", fmt.Sprintf("%s: invalid email address: %s", f.label, s), f.name)
		}
	}
	if f.length > 0 && utf8.RuneCountInString(s) > f.length {
		return nil, sfStringTooLong(f, s)
	}
	return s, nil
}

// sfStringTooLong is the error for a value longer than its field allows.
func sfStringTooLong(f sfField, s string) *sfErr {
	return sfError(http.StatusBadRequest, "data_format", "STRING_TOO_LONG",
		fmt.Sprintf("%s: data value too large: %s (max length=%d)", f.label, s, f.length), f.name)
}

// sfUnique returns the object's external ID field, which must be unique.
func sfUnique(ob sfObject) string {
	for _, f := range ob.fields {
		if f.external {
			return f.name
		}
	}
	return ""
}

// sfSaved is a SaveResult for a record written successfully.
func sfSaved(id string) obj { return obj{{"id", id}, {"success", true}, {"errors", []obj{}}} }

// insert validates and stores a new record.
func (d *salesforce) insert(ob sfObject, in map[string]any, body []byte) (record, *sfErr) {
	fields, e := sfValidate(ob, in, true, body)
	if e != nil {
		return record{}, e
	}
	unique := sfUnique(ob)
	rec, dup, ok := d.s.store.insertUnique(ob.table(), unique, fields, d.s.opts.Now(), func(seq int) string { return sfID(ob.prefix, seq) })
	if !ok {
		return record{}, &sfErr{status: http.StatusBadRequest, class: "conflict", code: "DUPLICATE_VALUE",
			msg: fmt.Sprintf("duplicate value found: %s duplicates value on record with id: %s", unique, dup.id), fields: []string{}}
	}
	return rec, nil
}

// create answers POST …/sobjects/{Object}.
func (d *salesforce) create(o *op) answer {
	in, e := sfDecode(o.body)
	if e != nil {
		return e.answer()
	}
	rec, e := d.insert(o.sf.object, in, o.body)
	if e != nil {
		return e.answer()
	}
	return jsonAnswer(http.StatusCreated, "ok", sfSaved(rec.id))
}

// missing is the error for an id with no record: ENTITY_IS_DELETED when
// it was deleted (a replayed DELETE meets this), NOT_FOUND otherwise.
func (d *salesforce) missing(ob sfObject, id string) *sfErr {
	if d.s.store.removed(ob.table(), id) {
		return &sfErr{status: http.StatusNotFound, class: "not_found", code: "ENTITY_IS_DELETED", msg: "entity is deleted", fields: []string{}}
	}
	return sfError(http.StatusNotFound, "not_found", "NOT_FOUND", "The requested resource does not exist")
}

// record answers GET, PATCH and DELETE on …/sobjects/{Object}/{Id}.
func (d *salesforce) record(o *op) answer {
	ob := o.sf.object
	id, ok := sfNormID(o.sf.id)
	if !ok || !strings.HasPrefix(id, ob.prefix) {
		return sfError(http.StatusNotFound, "not_found", "NOT_FOUND", "Provided external ID field does not exist or is not accessible: "+o.sf.id).answer()
	}
	switch o.method {
	case http.MethodGet:
		var only []string
		if list := o.query.Get("fields"); list != "" {
			for _, f := range strings.Split(list, ",") {
				if _, ok := ob.field(strings.TrimSpace(f)); !ok {
					return sfError(http.StatusBadRequest, "parameter", "INVALID_FIELD", sfNoColumn(strings.TrimSpace(f), ob.name)).answer()
				}
				only = append(only, strings.TrimSpace(f))
			}
		}
		rec, ok := d.s.store.get(ob.table(), id)
		if !ok {
			return d.missing(ob, id).answer()
		}
		return jsonAnswer(http.StatusOK, "ok", sfRender(ob, rec, o.version, only))
	case http.MethodPatch:
		in, e := sfDecode(o.body)
		if e != nil {
			return e.answer()
		}
		fields, e := sfValidate(ob, in, false, o.body)
		if e != nil {
			return e.answer()
		}
		if _, ok := d.s.store.update(ob.table(), id, fields, d.s.opts.Now()); !ok {
			return d.missing(ob, id).answer()
		}
		return answer{status: http.StatusNoContent, header: http.Header{}, class: "ok"}
	}
	if !d.s.store.remove(ob.table(), id) {
		return d.missing(ob, id).answer()
	}
	return answer{status: http.StatusNoContent, header: http.Header{}, class: "ok"}
}

// external answers …/sobjects/{Object}/{ExtField}/{value}: read, upsert
// or delete by external ID.
func (d *salesforce) external(o *op) answer {
	q := o.sf
	ob := q.object
	f, ok := ob.field(q.extField)
	if !ok || !f.external {
		return sfError(http.StatusNotFound, "parameter", "NOT_FOUND", "Provided external ID field does not exist or is not accessible: "+q.extField).answer()
	}
	rec, found := d.s.store.find(ob.table(), f.name, q.extValue)
	switch o.method {
	case http.MethodGet:
		if !found {
			return sfError(http.StatusNotFound, "not_found", "NOT_FOUND", "The requested resource does not exist").answer()
		}
		return jsonAnswer(http.StatusOK, "ok", sfRender(ob, rec, o.version, nil))
	case http.MethodDelete:
		if !found || !d.s.store.remove(ob.table(), rec.id) {
			return sfError(http.StatusNotFound, "not_found", "NOT_FOUND", "The requested resource does not exist").answer()
		}
		return answer{status: http.StatusNoContent, header: http.Header{}, class: "ok"}
	}
	in, e := sfDecode(o.body)
	if e != nil {
		return e.answer()
	}
	if !found {
		in[f.name] = q.extValue
		added, e := d.insert(ob, in, o.body)
		if e != nil {
			return e.answer()
		}
		return jsonAnswer(http.StatusCreated, "ok", append(sfSaved(added.id), kv{"created", true}))
	}
	fields, e := sfValidate(ob, in, false, o.body)
	if e != nil {
		return e.answer()
	}
	d.s.store.update(ob.table(), rec.id, fields, d.s.opts.Now())
	if q.ver < 46 {
		// Before API 46.0 an upsert that updates answers 204 No Content.
		return answer{status: http.StatusNoContent, header: http.Header{}, class: "ok"}
	}
	return jsonAnswer(http.StatusOK, "ok", append(sfSaved(rec.id), kv{"created", false}))
}
