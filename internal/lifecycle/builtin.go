package lifecycle

import "time"

// Builtin returns the lifecycles the CRMs crmguard knows have announced,
// as of crmguard's release. Where a vendor names a release rather than a
// day (Salesforce's "Summer '25"), the date is the first of the month the
// release reaches production orgs; an operator who needs the exact day of
// their org's upgrade sets it in the configuration, which takes
// precedence.
func Builtin() []Entry {
	return []Entry{
		{
			Dialect: "salesforce", From: "v7.0", To: "v20.0",
			Retires: date(2022, 6),
			Note:    "Salesforce retired API versions 7.0 to 20.0 with Summer '22; REST answers 410 Gone. Move to a current version such as v62.0",
			Source:  "help.salesforce.com article 000354473",
		},
		{
			Dialect: "salesforce", From: "v21.0", To: "v30.0",
			Deprecated: date(2022, 6), Retires: date(2025, 6),
			Note:   "Salesforce retired API versions 21.0 to 30.0 with Summer '25; REST answers 410 Gone, SOAP UNSUPPORTED_API_VERSION, Bulk InvalidVersion. Move to a current version such as v62.0",
			Source: "help.salesforce.com article 000354473",
		},
		{
			Dialect: "salesforce", From: "v31.0", To: "v40.0",
			Deprecated: date(2027, 6), Retires: date(2028, 6),
			Note:   "Salesforce deprecates API versions 31.0 to 40.0 with Summer '27 and retires them with Summer '28. Move to a current version such as v62.0",
			Source: "help.salesforce.com article 005321531",
		},
		{
			Dialect: "hubspot", From: "v1", To: "v4",
			Deprecated: time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC), Retires: date(2027, 9),
			Note:   "HubSpot stops supporting the legacy v1 to v4 APIs in September 2027; move to the date-based versions, such as /crm/objects/2026-03/contacts",
			Source: "developers.hubspot.com/docs/api-reference/legacy/migration-guide",
		},
		{
			Dialect: "zoho", Path: "/crm/private",
			Deprecated: time.Date(2018, 12, 31, 0, 0, 0, 0, time.UTC), Retires: time.Date(2019, 12, 31, 0, 0, 0, 0, time.UTC),
			Note:   "Zoho CRM API v1 reached its end of life on 31 December 2019; use /crm/v2 or later",
			Source: "zoho.com/crm/developer/docs/api/v2/migration-v2.html",
		},
		{
			Dialect: "odoo", Path: "/xmlrpc/2/db",
			Note:   "the XML-RPC db service is gone from Odoo 20 and Odoo Online 19.1; manage databases outside the API",
			Source: "odoo/documentation external_rpc_api.rst",
		},
		{
			Dialect: "odoo", Path: "/xmlrpc",
			Note:   "Odoo deprecated XML-RPC; its common and object services are removed in Odoo 22 (fall 2028) and Odoo Online 21.1. Move to the JSON-2 API (/json/2/…)",
			Source: "odoo/documentation external_rpc_api.rst",
		},
		{
			Dialect: "odoo", Path: "/jsonrpc",
			Note:   "Odoo deprecated the /jsonrpc endpoint; it is removed in Odoo 22 (fall 2028) and Odoo Online 21.1. Move to the JSON-2 API (/json/2/…)",
			Source: "odoo/documentation external_rpc_api.rst",
		},
	}
}

func date(year int, month time.Month) time.Time {
	return time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
}
