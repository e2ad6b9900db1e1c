package normalize

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
)

// jsonType is the type of a JSON value as sent.
type jsonType uint8

const (
	jsonString jsonType = iota
	jsonNumber
	jsonBool
	jsonObject
	jsonArray
)

// cursor is one rule part-way along its path: step indexes the next step
// to match, and a cursor past its last step has reached a value to
// normalise.
type cursor struct {
	rule int
	step int
}

// edit replaces src[start:end] with repl.
type edit struct {
	start, end int
	repl       []byte
}

// walker is one Apply's pass over a body. The body has passed json.Valid,
// so the walker trusts its syntax: it only finds where values start and
// end, and skips whatever no rule can reach without looking inside.
type walker struct {
	n        *Normalizer
	src      []byte
	pos      int
	ptr      []byte   // RFC 6901 pointer to the value at pos
	stack    []cursor // the cursors of the levels being walked, innermost last
	edits    []edit   // in body order, never overlapping
	changes  []call.Change
	findings []call.Finding

	// The buffers back ptr and stack, so that ordinary bodies need no
	// allocation for either.
	ptrBuf   [128]byte
	stackBuf [32]cursor
}

// value walks the value at pos with the cursors that reached it.
func (w *walker) value(cur []cursor) {
	if len(cur) == 0 {
		w.skip()
		return
	}
	start := w.pos
	switch w.src[start] {
	case '{':
		w.composite(cur, jsonObject)
	case '[':
		w.composite(cur, jsonArray)
	case '"':
		w.pos = w.stringEnd(start)
		w.at(cur, jsonString, start, w.pos)
	case 'n':
		w.skip() // null is how a client clears a field
	case 't', 'f':
		w.skip()
		w.at(cur, jsonBool, start, w.pos)
	default:
		w.skip()
		w.at(cur, jsonNumber, start, w.pos)
	}
}

// composite walks an object or array. Rules whose path ends here get the
// whole value, which trim leaves alone and every other kind reports; the
// others go on inside.
func (w *walker) composite(cur []cursor, typ jsonType) {
	start := w.pos
	base := len(w.stack)
	inner := cur
	if w.anyDone(cur) {
		w.skip()
		w.at(cur, typ, start, w.pos)
		w.pos = start
		for _, c := range cur {
			if !w.done(c) {
				w.stack = append(w.stack, c)
			}
		}
		inner = w.stack[base:]
	}
	switch {
	case len(inner) == 0:
		w.skip()
	case typ == jsonObject:
		w.object(inner)
	default:
		w.array(inner)
	}
	w.stack = w.stack[:base]
}

// object walks an object's members, moving each cursor whose next step
// matches a key on to that key's value.
func (w *walker) object(cur []cursor) {
	ptrLen := len(w.ptr)
	w.pos++ // {
	for {
		w.space()
		if w.src[w.pos] == '}' {
			break
		}
		ks := w.pos
		w.pos = w.stringEnd(ks)
		key := w.key(ks, w.pos)
		w.space()
		w.pos++ // :
		w.space()
		base := len(w.stack)
		for _, c := range cur {
			if matches(w.n.rules[c.rule].steps[c.step], key) {
				w.stack = append(w.stack, cursor{rule: c.rule, step: c.step + 1})
			}
		}
		if len(w.stack) > base {
			w.ptr = appendToken(w.ptr[:ptrLen], key)
		}
		w.value(w.stack[base:])
		w.stack = w.stack[:base]
		w.space()
		if w.src[w.pos] == ',' {
			w.pos++
		}
	}
	w.pos++ // }
	w.ptr = w.ptr[:ptrLen]
}

// array walks an array's elements with the same cursors: a path step
// that meets an array applies to every element.
func (w *walker) array(cur []cursor) {
	ptrLen := len(w.ptr)
	w.pos++ // [
	for i := 0; ; i++ {
		w.space()
		if w.src[w.pos] == ']' {
			break
		}
		w.ptr = strconv.AppendInt(append(w.ptr[:ptrLen], '/'), int64(i), 10)
		w.value(cur)
		w.space()
		if w.src[w.pos] == ',' {
			w.pos++
		}
	}
	w.pos++ // ]
	w.ptr = w.ptr[:ptrLen]
}

// at applies, in rule order, the rules whose paths end at the value
// src[start:end] of type typ, and records what they changed or found.
func (w *walker) at(cur []cursor, typ jsonType, start, end int) {
	sent := typ
	var orig, s string
	read := false
	for _, c := range cur {
		if !w.done(c) {
			continue
		}
		r := &w.n.rules[c.rule]
		if !read {
			orig = w.text(typ, start, end)
			s, read = orig, true
		}
		out, rej := r.apply(typ, s)
		if rej != nil {
			w.reject(rej, sent, orig, start, end)
			break
		}
		if out != s {
			w.changes = append(w.changes, call.Change{Pointer: string(w.ptr), Rule: r.as, From: s, To: out})
			s, typ = out, jsonString
		}
	}
	if read && (s != orig || typ != sent) {
		w.edits = append(w.edits, edit{start: start, end: end, repl: quote(s)})
	}
}

// reject records a finding for the value src[start:end].
func (w *walker) reject(rej *reject, typ jsonType, orig string, start, end int) {
	sent := orig
	if typ != jsonString {
		sent = string(w.src[start:end])
	}
	w.findings = append(w.findings, call.Finding{
		Class:    fault.DataFormat,
		In:       "body",
		Pointer:  string(w.ptr),
		Rule:     rej.rule,
		Sent:     clip(sent),
		Expected: rej.expected,
		Message:  "The value at " + string(w.ptr) + " " + rej.why + ".",
	})
}

// text returns what rules read of a value: a string decoded, a number as
// written, nothing of other types (no rule reads inside them).
func (w *walker) text(typ jsonType, start, end int) string {
	switch typ {
	case jsonString:
		return w.decode(start, end)
	case jsonNumber:
		return string(w.src[start:end])
	}
	return ""
}

// decode returns the JSON string src[start:end], quotes included, decoded.
func (w *walker) decode(start, end int) string {
	raw := w.src[start+1 : end-1]
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw)
	}
	var s string
	// The body passed json.Valid, so the string decodes; invalid UTF-8
	// becomes U+FFFD, as for any JSON decoder.
	_ = json.Unmarshal(w.src[start:end], &s)
	return s
}

// key returns the object key src[start:end], decoded only when it needs
// to be, so that comparing plain keys with path steps costs nothing.
func (w *walker) key(start, end int) []byte {
	raw := w.src[start+1 : end-1]
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return raw
	}
	return []byte(w.decode(start, end))
}

func (w *walker) done(c cursor) bool { return c.step == len(w.n.rules[c.rule].steps) }

func (w *walker) anyDone(cur []cursor) bool {
	for _, c := range cur {
		if w.done(c) {
			return true
		}
	}
	return false
}

// stringEnd returns the index just past the JSON string that opens at i.
func (w *walker) stringEnd(i int) int {
	for {
		q := i + 1 + bytes.IndexByte(w.src[i+1:], '"')
		// The quote closes the string unless an odd number of
		// backslashes escapes it.
		k := q - 1
		for w.src[k] == '\\' {
			k--
		}
		if (q-1-k)%2 == 0 {
			return q + 1
		}
		i = q
	}
}

// skip moves pos past the value at pos.
func (w *walker) skip() {
	switch w.src[w.pos] {
	case '"':
		w.pos = w.stringEnd(w.pos)
	case '{', '[':
		depth := 0
		for {
			switch w.src[w.pos] {
			case '"':
				w.pos = w.stringEnd(w.pos)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					w.pos++
					return
				}
			}
			w.pos++
		}
	default:
		for w.pos < len(w.src) && !isDelimiter(w.src[w.pos]) {
			w.pos++
		}
	}
}

// space moves pos past white space.
func (w *walker) space() {
	for w.pos < len(w.src) {
		switch w.src[w.pos] {
		case ' ', '\t', '\n', '\r':
			w.pos++
		default:
			return
		}
	}
}

// isDelimiter reports whether c ends a number or literal.
func isDelimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// output splices the edits into the body, or returns the body itself when
// there are none.
func (w *walker) output() []byte {
	if len(w.edits) == 0 {
		return w.src
	}
	size := len(w.src)
	for _, e := range w.edits {
		size += len(e.repl) - (e.end - e.start)
	}
	out := make([]byte, 0, size)
	last := 0
	for _, e := range w.edits {
		out = append(out, w.src[last:e.start]...)
		out = append(out, e.repl...)
		last = e.end
	}
	return append(out, w.src[last:]...)
}

// quote encodes s as a JSON string. It leaves <, > and & as they are:
// json.Marshal's \u003c escapes are for JSON embedded in HTML, and would
// only make the forwarded body and the recorded samples harder to read.
func quote(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	// Encoding a string cannot fail: invalid UTF-8 is replaced, not
	// refused.
	_ = enc.Encode(s)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// maxSent is how many bytes of a rejected value a finding keeps.
const maxSent = 200

// clip cuts s to maxSent bytes, on a rune boundary, marking the cut.
func clip(s string) string {
	if len(s) <= maxSent {
		return s
	}
	i := maxSent
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
