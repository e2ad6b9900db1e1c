package store

import (
	"database/sql"
	"fmt"
	"strings"
)

// conditions builds the WHERE clause of a list query with numbered
// placeholders ($1, $2, …), which both backends accept. (Bulk inserts on
// SQLite use ? instead; see insertCallsSQL. A list query has a handful of
// parameters, where the driver's name lookup costs nothing.)
type conditions struct {
	where []string
	args  []any
}

// add appends a condition whose one placeholder is written %d, bound to v.
func (c *conditions) add(cond string, v any) {
	c.args = append(c.args, v)
	c.where = append(c.where, fmt.Sprintf(cond, len(c.args)))
}

// also appends a condition without a value.
func (c *conditions) also(cond string) { c.where = append(c.where, cond) }

// query returns sel with the WHERE clause and then tail, whose one
// placeholder (%d, for the LIMIT) is bound to limit, and the arguments.
func (c *conditions) query(sel, tail string, limit int) (string, []any) {
	q := sel
	if len(c.where) > 0 {
		q += " WHERE " + strings.Join(c.where, " AND ")
	}
	args := append(c.args, limit)
	return q + " " + fmt.Sprintf(tail, len(args)), args
}

// pageLimit returns a list query's page size: def for 0 or less, at most
// most.
func pageLimit(n, def, most int) int {
	if n <= 0 {
		return def
	}
	return min(n, most)
}

// collect reads and closes rows, scanning each with scan.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
