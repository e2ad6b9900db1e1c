package democrm

import (
	"net/http"
	"net/url"
)

// dialect is one CRM's way of answering.
type dialect interface {
	// parse reads r (body included) into an op; path is relative to the
	// dialect prefix. It never fails: what it cannot understand it leaves
	// for answer to reject in the vendor's words.
	parse(r *http.Request, path string) *op
	// answer serves o normally.
	answer(o *op) answer
	// fault answers o with a fault of kind k, one of the kinds the dialect
	// supports other than slow, stall and the resets.
	fault(o *op, k Kind) answer
	// decorate adds the headers the vendor sends on every answer, unless
	// the answer is bare.
	decorate(o *op, a *answer)
}

// action is what a request does, as far as fault matching cares.
type action uint8

const (
	actMeta   action = iota // versions, limits, describe, login and the like
	actList                 // list, query or search
	actRead                 // read one record (or named records) by id
	actCreate               // create one record
	actUpdate               // update one record by id
	actUpsert               // create or update by an external key
	actDelete               // delete one record by id
	actBatch                // a batch write of several records
)

// writes reports whether a changes records (delete aside).
func (a action) writes() bool {
	return a == actCreate || a == actUpdate || a == actUpsert || a == actBatch
}

// op is one parsed request.
type op struct {
	dialect string
	method  string
	path    string // relative to the dialect prefix
	query   url.Values
	header  http.Header
	host    string
	body    []byte
	bodyErr error

	action  action
	object  string // Contact, contacts, res.partner, Contacts
	version string // Salesforce API version such as "59.0"; "" when the path has none
	items   int    // records in a batch

	sf    *sfRequest
	hs    *hsRequest
	odoo  *odooCall
	suite *suiteRequest
}

// newOp fills the dialect-independent part of an op.
func newOp(dialect string, r *http.Request, path string) *op {
	body, err := readBody(r)
	return &op{
		dialect: dialect,
		method:  r.Method,
		path:    path,
		query:   r.URL.Query(),
		header:  r.Header,
		host:    r.Host,
		body:    body,
		bodyErr: err,
	}
}
