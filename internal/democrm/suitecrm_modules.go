package democrm

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// suiteModule is one SuiteCRM module the sample serves.
type suiteModule struct {
	name   string // the module, as paths and data.type name it: Contacts
	object string // the bean's object name, which answers give as the type: Contact
	// attrs are the bean's fields in vardef order, as SugarBean::toArray
	// lists them: every attribute an answer carries, and the names
	// fields[…], sort and filter accept.
	attrs []string
	// derived are the attributes SuiteCRM computes or keeps elsewhere: a
	// write may name them, but it changes nothing.
	derived []string
	drops   string      // the attribute a drift removes
	links   []suiteLink // link fields, in the order of their modules
}

// suiteLink is a link field: a named relationship to another module.
type suiteLink struct{ name, module string }

func (m *suiteModule) table() string { return SuiteCRM + "/" + m.name }

// link returns the link field called name.
func (m *suiteModule) link(name string) (suiteLink, bool) {
	for _, l := range m.links {
		if l.name == name {
			return l, true
		}
	}
	return suiteLink{}, false
}

// linkTo returns the link field that relates m to module.
func (m *suiteModule) linkTo(module string) (suiteLink, bool) {
	for _, l := range m.links {
		if l.module == module {
			return l, true
		}
	}
	return suiteLink{}, false
}

// suiteModules returns the modules served: Contacts and Accounts, linked
// one to one through a contact's account_id. Their other links name
// modules the sample has no records of, so they always come back empty.
func suiteModules() []suiteModule {
	audit := []string{"name", "date_entered", "date_modified", "modified_user_id", "modified_by_name",
		"created_by", "created_by_name", "description", "deleted", "assigned_user_id", "assigned_user_name"}
	common := []string{"date_entered", "date_modified", "deleted", "modified_by_name", "created_by_name",
		"assigned_user_name", "campaign_name"}
	return []suiteModule{
		{
			name: "Contacts", object: "Contact", drops: "last_name",
			attrs: slices.Concat(audit, []string{"salutation", "first_name", "last_name", "full_name", "title",
				"department", "do_not_call", "phone_home", "email", "phone_mobile", "phone_work", "phone_other",
				"phone_fax", "email1", "email2", "invalid_email", "email_opt_out", "primary_address_street",
				"primary_address_city", "primary_address_state", "primary_address_postalcode",
				"primary_address_country", "alt_address_street", "alt_address_city", "alt_address_state",
				"alt_address_postalcode", "alt_address_country", "assistant", "assistant_phone", "lead_source",
				"account_name", "account_id", "reports_to_id", "report_to_name", "birthdate", "campaign_id",
				"campaign_name"}),
			derived: slices.Concat(common, []string{"name", "full_name", "email", "account_name", "report_to_name"}),
			links:   []suiteLink{{"accounts", "Accounts"}, {"notes", "Notes"}, {"opportunities", "Opportunities"}},
		},
		{
			name: "Accounts", object: "Account", drops: "name",
			attrs: slices.Concat(audit, []string{"account_type", "industry", "annual_revenue", "phone_fax",
				"billing_address_street", "billing_address_city", "billing_address_state",
				"billing_address_postalcode", "billing_address_country", "rating", "phone_office",
				"phone_alternate", "website", "ownership", "employees", "ticker_symbol", "shipping_address_street",
				"shipping_address_city", "shipping_address_state", "shipping_address_postalcode",
				"shipping_address_country", "email1", "email_opt_out", "invalid_email", "parent_id", "parent_name",
				"sic_code", "campaign_id", "campaign_name"}),
			derived: slices.Concat(common, []string{"parent_name"}),
			links:   []suiteLink{{"contacts", "Contacts"}, {"notes", "Notes"}, {"opportunities", "Opportunities"}},
		},
	}
}

// suiteLookup returns the module called name, or nil. Like BeanFactory it
// is exact about case, and like beanAliases.php it also takes the bean's
// object name (Contact for Contacts).
func suiteLookup(name string) *suiteModule {
	for _, m := range suiteModules() {
		if m.name == name || m.object == name {
			return &m
		}
	}
	return nil
}

// suiteID returns the id of the seq'th seeded record of module: a
// version-4 style UUID that depends on nothing else, so the samples can
// name records that exist whatever the seed.
func suiteID(module string, seq int) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(module))
	r := rand.New(rand.NewPCG(uint64(seq), h.Sum64()))
	return formatUUID(r.Uint64(), r.Uint64())
}

// formatUUID formats 128 random bits as a lowercase version-4 UUID.
func formatUUID(hi, lo uint64) string {
	hi = hi&^0xf000 | 0x4000
	lo = lo&^(0xc<<60) | 0x8<<60
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", hi>>32, hi>>16&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}

// suiteTime formats a timestamp as the V8 API does: AttributeObjectHelper
// turns every "Y-m-d H:i:s" value into ISO 8601 (DateTime::ATOM).
func suiteTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-07:00") }

// suiteDBTime formats a timestamp as SuiteCRM stores it, which is what
// filters and sorting compare.
func suiteDBTime(t time.Time) string { return t.UTC().Format(time.DateTime) }

// suiteUser returns the name SuiteCRM shows for a user id: the demo
// instance has only its administrator.
func suiteUser(id string) string {
	if id == "1" {
		return "Administrator"
	}
	return ""
}

// attr returns the value of attribute name of rec as toArray gives it: a
// string, "" for anything unset.
func (d *suitecrm) attr(m *suiteModule, rec record, name string) string {
	field := func(k string) string { s, _ := rec.fields[k].(string); return s }
	switch name {
	case "date_entered":
		return suiteTime(rec.created)
	case "date_modified":
		return suiteTime(rec.updated)
	case "deleted":
		return "0" // deleted records are not served
	case "created_by_name":
		return suiteUser(field("created_by"))
	case "modified_by_name":
		return suiteUser(field("modified_user_id"))
	case "assigned_user_name":
		return suiteUser(field("assigned_user_id"))
	case "account_name":
		return d.accountName(field("account_id"))
	case "parent_name":
		return d.accountName(field("parent_id"))
	case "full_name":
		return joinNonEmpty(field("salutation"), field("first_name"), field("last_name"))
	case "name":
		if m.name == "Contacts" {
			return joinNonEmpty(field("salutation"), field("first_name"), field("last_name"))
		}
	}
	return field(name)
}

// dbValue returns the value a filter or a sort compares: the stored form,
// which differs from the answered one for timestamps.
func (d *suitecrm) dbValue(m *suiteModule, rec record, name string) string {
	switch name {
	case "id":
		return rec.id
	case "date_entered":
		return suiteDBTime(rec.created)
	case "date_modified":
		return suiteDBTime(rec.updated)
	}
	return d.attr(m, rec, name)
}

// accountName returns the name of the account with id, or "".
func (d *suitecrm) accountName(id string) string {
	if id == "" {
		return ""
	}
	rec, ok := d.s.store.get(SuiteCRM+"/Accounts", id)
	if !ok {
		return ""
	}
	s, _ := rec.fields["name"].(string)
	return s
}

func joinNonEmpty(parts ...string) string {
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), " ")
}

// render returns rec as a JSON:API resource object the way ModuleService
// builds it: the bean's object name as the type, the attributes (only
// those in fields when it is not nil, in vardef order) and one related
// link per module, under path, the record's path below /Api. A drifting
// answer drops the module's drift attribute and changes the types of
// deleted and date_entered.
func (d *suitecrm) render(m *suiteModule, rec record, fields []string, path string, drift bool) obj {
	attrs := obj{}
	for _, name := range m.attrs {
		if fields != nil && !slices.Contains(fields, name) {
			continue
		}
		var v any = d.attr(m, rec, name)
		switch {
		case drift && name == m.drops:
			continue
		case drift && name == "deleted":
			v = 0
		case drift && name == "date_entered":
			v = rec.created.Unix()
		}
		attrs = append(attrs, kv{name, v})
	}
	out := obj{{"type", m.object}, {"id", rec.id}}
	// DataResponse drops empty members (array_filter), so a record
	// narrowed to no attribute has no attributes member.
	if len(attrs) > 0 {
		out = append(out, kv{"attributes", attrs})
	}
	rels := obj{}
	for _, l := range m.links {
		rels = append(rels, kv{l.module, obj{{"links", obj{{"related", path + "/relationships/" + l.name}}}}})
	}
	return append(out, kv{"relationships", rels})
}

// seedSuiteCRM fills the Accounts and Contacts tables from the same
// companies and people as the other dialects.
func seedSuiteCRM(st *store, companies []company, people []person) {
	accounts, contacts := suiteLookup("Accounts"), suiteLookup("Contacts")
	types := []string{"Customer", "Prospect", "Partner", "Reseller"}
	for i, c := range companies {
		st.insert(accounts.table(), map[string]any{
			"name": c.name, "account_type": types[i%len(types)], "industry": suiteIndustry(c.industry),
			"phone_office": c.phone, "website": "https://www." + c.domain, "employees": strconv.Itoa(c.employees),
			"billing_address_city": c.city, "billing_address_country": c.country,
			"shipping_address_city": c.city, "shipping_address_country": c.country,
			"email1": "info@" + c.domain, "email_opt_out": "0", "invalid_email": "0",
			"created_by": "1", "modified_user_id": "1", "assigned_user_id": "1",
		}, c.created, func(seq int) string { return suiteID(accounts.name, seq) })
	}
	sources := []string{"Web Site", "Cold Call", "Conference", "Word of mouth", "Email", "Existing Customer"}
	for i, p := range people {
		c := companies[p.company]
		fields := map[string]any{
			"first_name": p.first, "last_name": p.last, "title": p.title, "email1": p.email, "phone_work": p.phone,
			"primary_address_city": c.city, "primary_address_country": c.country,
			"lead_source": sources[i%len(sources)], "account_id": suiteID(accounts.name, p.company+1),
			"do_not_call": "0", "email_opt_out": "0", "invalid_email": "0",
			"created_by": "1", "modified_user_id": "1", "assigned_user_id": "1",
		}
		if i%2 == 0 {
			fields["phone_mobile"] = suiteMobile(c.country, i)
		}
		if i%5 != 4 {
			fields["birthdate"] = fmt.Sprintf("%d-%02d-%02d", 1958+i*7%42, 1+i%12, 1+i*13%28)
		}
		st.insert(contacts.table(), fields, p.created, func(seq int) string { return suiteID(contacts.name, seq) })
	}
}

// suiteIndustry maps a seed industry onto SuiteCRM's industry_dom list.
func suiteIndustry(industry string) string {
	if industry == "Food & Beverage" {
		return "Other"
	}
	return industry
}

// suiteMobile returns a mobile number from a range set aside for fiction
// in country: Ofcom's 07700 900, ACMA's 0491 570, ARCEP's 06 39 98 and the
// North American 555-01.
func suiteMobile(country string, n int) string {
	switch country {
	case "United Kingdom":
		return fmt.Sprintf("+44 7700 900%03d", n%1000)
	case "Australia":
		return fmt.Sprintf("+61 491 570 %03d", 6+n%150)
	case "France":
		return fmt.Sprintf("+33 6 39 98 %02d %02d", n/100%100, n%100)
	}
	return fmt.Sprintf("+1 310 555 01%02d", n%100)
}
