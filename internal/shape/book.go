package shape

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// maxOperations caps the operations a Book tracks. Path templates come
// from traffic, and an id the template collapse missed would otherwise
// create an operation per record.
const maxOperations = 2000

// Exchange is one observed call, as the gateway saw it.
type Exchange struct {
	// Method is the request method.
	Method string
	// Path is the operation template below the upstream with ids already
	// collapsed: /services/data/v59.0/sobjects/Contact/{id}.
	Path string
	// Query is the request's query; only names are kept, values are typed.
	Query url.Values
	// RequestType is the request's Content-Type header.
	RequestType string
	// RequestBody is the request body, nil or empty if there was none.
	RequestBody []byte
	// RequestTruncated reports that RequestBody is only a prefix of the
	// body, which is then counted but not decoded.
	RequestTruncated bool
	// Status is the response status, 0 if no response arrived.
	Status int
	// ResponseType is the response's Content-Type header.
	ResponseType string
	// ResponseBody is the response body, nil or empty if there was none.
	ResponseBody []byte
	// ResponseTruncated reports that ResponseBody is only a prefix of the
	// body, which is then counted but not decoded.
	ResponseTruncated bool
}

type opKey struct{ method, path string }

// Book collects the shapes of observed calls per operation. It keeps two
// sets: everything observed (Snapshot) and what was observed since the
// last Take, so a caller can store increments periodically. Because shapes
// merge associatively, merging the Takes of several Books yields the shape
// the traffic of all of them would have given one Book, up to the limits.
// The zero value is an empty Book, ready to use; a Book is safe for
// concurrent use.
type Book struct {
	mu      sync.Mutex
	pending map[opKey]*Operation // since the last Take
	total   map[opKey]*Operation // up to the last Take
	known   int                  // distinct keys in pending and total
	dropped int64
}

// Observe adds one call to the book. JSON bodies (application/json and
// application/*+json) are decoded outside the book's lock; bodies that do
// not decode are counted as invalid. A call to a new operation beyond the
// book's limit of 2000 operations is only counted, in Dropped.
func (b *Book) Observe(x Exchange) {
	req := readPayload(x.RequestType, x.RequestBody, x.RequestTruncated)
	var resp payload
	if x.Status != 0 {
		resp = readPayload(x.ResponseType, x.ResponseBody, x.ResponseTruncated)
	}
	k := opKey{method: strings.ToUpper(x.Method), path: x.Path}

	b.mu.Lock()
	defer b.mu.Unlock()
	op := b.pending[k]
	if op == nil {
		if _, ok := b.total[k]; !ok {
			if b.known >= maxOperations {
				b.dropped++
				return
			}
			b.known++
		}
		if b.pending == nil {
			b.pending = make(map[opKey]*Operation)
		}
		op = &Operation{Method: k.method, Path: k.path}
		b.pending[k] = op
	}
	op.observe(x.Query, req, x.Status, resp)
}

// Snapshot returns a deep copy of everything the book has observed, one
// Operation per method and path, sorted by path and then method.
func (b *Book) Snapshot() []*Operation {
	b.mu.Lock()
	defer b.mu.Unlock()
	all := make(map[opKey]*Operation, len(b.total)+len(b.pending))
	for k, op := range b.total {
		all[k] = op.clone()
	}
	for k, op := range b.pending {
		if have := all[k]; have != nil {
			have.Merge(op)
		} else {
			all[k] = op.clone()
		}
	}
	return sorted(all)
}

// Take returns what the book observed since the last Take, sorted like
// Snapshot, and starts a new increment. The caller owns the result.
// Storing every Take and merging them with Operation.Merge gives what
// Snapshot would.
func (b *Book) Take() []*Operation {
	b.mu.Lock()
	defer b.mu.Unlock()
	taken := b.pending
	b.pending = nil
	if b.total == nil && len(taken) > 0 {
		b.total = make(map[opKey]*Operation, len(taken))
	}
	for k, op := range taken {
		if have := b.total[k]; have != nil {
			have.Merge(op)
		} else {
			b.total[k] = op.clone()
		}
	}
	return sorted(taken)
}

// Dropped is the number of calls not described because the book had
// reached its limit of operations.
func (b *Book) Dropped() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}

func sorted(m map[opKey]*Operation) []*Operation {
	ops := make([]*Operation, 0, len(m))
	for _, op := range m {
		ops = append(ops, op)
	}
	slices.SortFunc(ops, compareOps)
	return ops
}

func compareOps(a, b *Operation) int {
	return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Method, b.Method))
}
