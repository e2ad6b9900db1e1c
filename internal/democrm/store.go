package democrm

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// record is one stored record. Field names and value types are the
// dialect's own: Salesforce and Odoo keep typed values, HubSpot strings.
type record struct {
	id      string
	seq     int // creation order within its table
	fields  map[string]any
	created time.Time
	updated time.Time
}

// clone returns a copy whose fields can be changed freely.
func (r *record) clone() record {
	c := *r
	c.fields = maps.Clone(r.fields)
	return c
}

// table holds the records of one object type.
type table struct {
	rows map[string]*record
	gone map[string]bool // ids of deleted records
	seq  int             // the last sequence number handed out
}

// store is the in-memory database of all dialects; tables are named
// "<dialect>/<object>". It is safe for concurrent use.
type store struct {
	mu     sync.Mutex
	tables map[string]*table
}

func newStore() *store { return &store{tables: map[string]*table{}} }

// tableLocked returns the named table, creating it. The caller holds mu.
func (st *store) tableLocked(name string) *table {
	t, ok := st.tables[name]
	if !ok {
		t = &table{rows: map[string]*record{}, gone: map[string]bool{}}
		st.tables[name] = t
	}
	return t
}

// insert adds a record whose id is made by id from its sequence number.
func (st *store) insert(tbl string, fields map[string]any, now time.Time, id func(seq int) string) record {
	r, _, _ := st.insertUnique(tbl, "", fields, now, id)
	return r
}

// insertUnique adds a record like insert unless another record has the
// same non-nil value in field unique; then it returns that record and
// false. An empty unique inserts unconditionally.
func (st *store) insertUnique(tbl, unique string, fields map[string]any, now time.Time, id func(seq int) string) (added, existing record, ok bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	t := st.tableLocked(tbl)
	if v, set := fields[unique]; unique != "" && set && v != nil {
		for _, r := range t.rows {
			if r.fields[unique] == v {
				return record{}, r.clone(), false
			}
		}
	}
	t.seq++
	r := &record{id: id(t.seq), seq: t.seq, fields: maps.Clone(fields), created: now, updated: now}
	t.rows[r.id] = r
	return r.clone(), record{}, true
}

// get returns a copy of the record with id.
func (st *store) get(tbl, id string) (record, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	r, ok := st.tableLocked(tbl).rows[id]
	if !ok {
		return record{}, false
	}
	return r.clone(), true
}

// update merges fields into the record with id and returns the result.
func (st *store) update(tbl, id string, fields map[string]any, now time.Time) (record, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	r, ok := st.tableLocked(tbl).rows[id]
	if !ok {
		return record{}, false
	}
	maps.Copy(r.fields, fields)
	r.updated = now
	return r.clone(), true
}

// remove deletes the record with id and reports whether it existed.
func (st *store) remove(tbl, id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	t := st.tableLocked(tbl)
	_, ok := t.rows[id]
	if ok {
		delete(t.rows, id)
		t.gone[id] = true
	}
	return ok
}

// removed reports whether a record with id existed and was deleted.
func (st *store) removed(tbl, id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.tableLocked(tbl).gone[id]
}

// all returns copies of every record in creation order.
func (st *store) all(tbl string) []record {
	st.mu.Lock()
	defer st.mu.Unlock()
	t := st.tableLocked(tbl)
	out := make([]record, 0, len(t.rows))
	for _, r := range t.rows {
		out = append(out, r.clone())
	}
	slices.SortFunc(out, func(a, b record) int { return a.seq - b.seq })
	return out
}

// find returns the first record, in creation order, whose field equals v.
func (st *store) find(tbl, field string, v any) (record, bool) {
	for _, r := range st.all(tbl) {
		if r.fields[field] == v {
			return r, true
		}
	}
	return record{}, false
}

// count returns the number of records in tbl.
func (st *store) count(tbl string) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.tableLocked(tbl).rows)
}
