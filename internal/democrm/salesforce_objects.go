package democrm

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// sfField describes one field of a Salesforce object.
type sfField struct {
	name, label, typ string // typ as in describe: id, string, email, phone, url, picklist, reference, date, datetime, int, boolean
	length           int
	createable       bool
	updateable       bool
	required         bool // required on create (nillable false)
	external         bool // an external ID field, unique
}

// sfObject describes one Salesforce object (sObject type).
type sfObject struct {
	name, label, plural, prefix string
	fields                      []sfField
}

// field returns the field called name, matched case-insensitively as
// Salesforce does.
func (ob sfObject) field(name string) (sfField, bool) {
	for _, f := range ob.fields {
		if strings.EqualFold(f.name, name) {
			return f, true
		}
	}
	return sfField{}, false
}

// table returns the store table of the object.
func (ob sfObject) table() string { return Salesforce + "/" + ob.name }

// sfObjects returns the objects the fake org has.
func sfObjects() []sfObject {
	audit := []sfField{
		{name: "CreatedDate", label: "Created Date", typ: "datetime"},
		{name: "LastModifiedDate", label: "Last Modified Date", typ: "datetime"},
		{name: "SystemModstamp", label: "System Modstamp", typ: "datetime"},
	}
	head := []sfField{
		{name: "Id", label: "Record ID", typ: "id", length: 18},
		{name: "IsDeleted", label: "Deleted", typ: "boolean"},
	}
	w := func(name, label, typ string, length int) sfField {
		return sfField{name: name, label: label, typ: typ, length: length, createable: true, updateable: true}
	}
	required := func(f sfField) sfField { f.required = true; return f }
	external := func(f sfField) sfField { f.external = true; return f }
	return []sfObject{
		{name: "Account", label: "Account", plural: "Accounts", prefix: "001", fields: slices.Concat(head, []sfField{
			required(w("Name", "Account Name", "string", 255)),
			w("Industry", "Industry", "picklist", 255),
			w("Phone", "Account Phone", "phone", 40),
			w("Website", "Website", "url", 255),
			w("BillingCity", "Billing City", "string", 40),
			w("BillingCountry", "Billing Country", "string", 80),
			w("NumberOfEmployees", "Employees", "int", 8),
		}, audit)},
		{name: "Contact", label: "Contact", plural: "Contacts", prefix: "003", fields: slices.Concat(head, []sfField{
			w("AccountId", "Account ID", "reference", 18),
			required(w("LastName", "Last Name", "string", 80)),
			w("FirstName", "First Name", "string", 40),
			{name: "Name", label: "Full Name", typ: "string", length: 121},
			w("Title", "Title", "string", 128),
			w("Phone", "Business Phone", "phone", 40),
			w("Email", "Email", "email", 80),
			w("Birthdate", "Birthdate", "date", 0),
			external(w("External_Id__c", "External ID", "string", 50)),
		}, audit)},
	}
}

// sfLookup returns the object called name, matched case-insensitively.
func sfLookup(name string) (sfObject, bool) {
	for _, ob := range sfObjects() {
		if strings.EqualFold(ob.name, name) {
			return ob, true
		}
	}
	return sfObject{}, false
}

// sfID returns the 18-character id of the seq-th record with key prefix:
// prefix, pod "5g", a reserved "0", nine base-62 digits, then the
// case-checksum suffix that makes the id case-insensitive.
func sfID(prefix string, seq int) string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	n := 591_053_440 + seq*7919 // spread the numbers so ids look like an org's
	var num [9]byte
	for i := len(num) - 1; i >= 0; i-- {
		num[i] = digits[n%62]
		n /= 62
	}
	id := prefix + "5g0" + string(num[:])
	return id + sfSuffix(id)
}

// sfSuffix computes the 3-character suffix of a 15-character id: one
// character per 5-character chunk, encoding which of its letters are upper
// case.
func sfSuffix(id15 string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	var out [3]byte
	for i := range out {
		flags := 0
		for j := range 5 {
			if c := id15[i*5+j]; c >= 'A' && c <= 'Z' {
				flags |= 1 << j
			}
		}
		out[i] = alphabet[flags]
	}
	return string(out[:])
}

// sfNormID returns the 18-character form of a 15- or 18-character id, or
// false when s is not shaped like an id.
func sfNormID(s string) (string, bool) {
	if len(s) != 15 && len(s) != 18 {
		return "", false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return "", false
		}
	}
	return s[:15] + sfSuffix(s[:15]), true
}

// sfTime formats a datetime the way the REST API does.
func sfTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000+0000") }

// sfRender returns rec as the REST API shows it, with the fields named in
// only (all fields when only is empty), attributes first.
func sfRender(ob sfObject, rec record, version string, only []string) obj {
	o := obj{{"attributes", obj{{"type", ob.name}, {"url", fmt.Sprintf("/services/data/v%s/sobjects/%s/%s", version, ob.name, rec.id)}}}}
	if len(only) == 0 {
		for _, f := range ob.fields {
			only = append(only, f.name)
		}
	}
	for _, name := range only {
		f, _ := ob.field(name)
		o = append(o, kv{f.name, sfValue(f, rec)})
	}
	return o
}

// sfValue returns the value of f in rec; unset fields are null.
func sfValue(f sfField, rec record) any {
	switch f.name {
	case "Id":
		return rec.id
	case "IsDeleted":
		return false
	case "Name":
		if _, ok := rec.fields["LastName"]; ok {
			return strings.TrimSpace(fmt.Sprint(orEmpty(rec.fields["FirstName"]), " ", rec.fields["LastName"]))
		}
	case "CreatedDate":
		return sfTime(rec.created)
	case "LastModifiedDate", "SystemModstamp":
		return sfTime(rec.updated)
	}
	return rec.fields[f.name]
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// seedSalesforce fills the Account and Contact tables.
func seedSalesforce(st *store, companies []company, people []person) {
	acc, _ := sfLookup("Account")
	con, _ := sfLookup("Contact")
	for _, c := range companies {
		st.insert(acc.table(), map[string]any{
			"Name": c.name, "Industry": c.industry, "Phone": c.phone, "Website": "https://www." + c.domain,
			"BillingCity": c.city, "BillingCountry": c.country, "NumberOfEmployees": c.employees,
		}, c.created, func(seq int) string { return sfID(acc.prefix, seq) })
	}
	for i, p := range people {
		st.insert(con.table(), map[string]any{
			"AccountId": sfID(acc.prefix, p.company+1), "FirstName": p.first, "LastName": p.last,
			"Title": p.title, "Phone": p.phone, "Email": p.email,
			"External_Id__c": fmt.Sprintf("EXT-%05d", i+1),
		}, p.created, func(seq int) string { return sfID(con.prefix, seq) })
	}
}
