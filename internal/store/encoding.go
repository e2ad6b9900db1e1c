package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
)

// Times are stored as Unix microseconds and durations as microseconds:
// both backends compare and index integers the same way, and a
// microsecond is finer than anything crmguard measures. Values are
// truncated to the microsecond on the way in and come back in UTC; the
// zero time survives the round trip as the zero time.

// micros returns t as Unix microseconds.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros returns the UTC time us Unix microseconds after the epoch.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// durMicros returns d in whole microseconds.
func durMicros(d time.Duration) int64 { return d.Microseconds() }

// fromDurMicros returns us microseconds as a duration.
func fromDurMicros(us int64) time.Duration { return time.Duration(us) * time.Microsecond }

// nullMicros stores the zero time as NULL, for columns where "not set" is
// a state of its own, such as an incident's resolved_at.
func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(t), Valid: true}
}

// fromNullMicros is the inverse of nullMicros.
func fromNullMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

// encodeStrings stores a list of strings (incident sample call ids) as a
// JSON array, which keeps any string intact and reads back in SQL tools.
func encodeStrings(ss []string) string {
	if len(ss) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ss) // cannot fail: a []string always encodes
	return string(b)
}

// decodeStrings is the inverse of encodeStrings; "[]" gives nil.
func decodeStrings(s string) ([]string, error) {
	var ss []string
	if err := json.Unmarshal([]byte(s), &ss); err != nil {
		return nil, fmt.Errorf("decoding string list %q: %w", s, err)
	}
	if len(ss) == 0 {
		return nil, nil
	}
	return ss, nil
}

// tryJSON is how one attempt is stored in the calls table's tries column.
type tryJSON struct {
	Endpoint  string `json:"endpoint"`
	Status    int    `json:"status"`
	Class     string `json:"class"`
	LatencyUS int64  `json:"latency_us"`
}

// encodeTries stores a call's attempts as a JSON array; "" for none.
func encodeTries(ts []call.Attempt) string {
	if len(ts) == 0 {
		return ""
	}
	out := make([]tryJSON, len(ts))
	for i, t := range ts {
		out[i] = tryJSON{Endpoint: t.Endpoint, Status: t.Status, Class: t.Class.String(), LatencyUS: durMicros(t.Latency)}
	}
	b, _ := json.Marshal(out) // plain strings and numbers: cannot fail
	return string(b)
}

// decodeTries reads what encodeTries stored.
func decodeTries(s string) ([]call.Attempt, error) {
	if s == "" {
		return nil, nil
	}
	var in []tryJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, err
	}
	out := make([]call.Attempt, len(in))
	for i, t := range in {
		c, err := fault.Parse(t.Class)
		if err != nil {
			return nil, err
		}
		out[i] = call.Attempt{Endpoint: t.Endpoint, Status: t.Status, Class: c, Latency: fromDurMicros(t.LatencyUS)}
	}
	return out, nil
}

// encodeGuard stores what the guard recorded as JSON; "" for nothing, which
// is most calls.
func encodeGuard(g *call.Guard) string {
	if g.Empty() {
		return ""
	}
	b, _ := json.Marshal(g) // strings and classes: cannot fail
	return string(b)
}

// decodeGuard reads what encodeGuard stored.
func decodeGuard(s string) (call.Guard, error) {
	var g call.Guard
	if s == "" {
		return g, nil
	}
	err := json.Unmarshal([]byte(s), &g)
	return g, err
}
