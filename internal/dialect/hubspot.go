package dialect

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/crmguard/crmguard/internal/fault"
)

// HubSpot reads the HubSpot CRM API: error objects with category,
// subCategory and errorType, 207 multi-status batch answers, and the 404
// HubSpot answers on sunset endpoints.
type HubSpot struct{}

var _ Dialect = HubSpot{}

// Name returns "hubspot".
func (HubSpot) Name() string { return "hubspot" }

// Inspect reads every error status, every 207, and 2xx answers of /batch/
// endpoints, whose errors[] carry per-item failures.
func (HubSpot) Inspect(method, path string, status int, _ http.Header) bool {
	if hasErrorBody(method, status) || status == http.StatusMultiStatus {
		return true
	}
	return is2xxWithBody(method, status) && strings.Contains(path, "/batch/")
}

// Version returns the path's version: v3 for /crm/v3/…, or the date
// version 2026-03 for /crm/objects/2026-03/….
func (HubSpot) Version(path string) string { return PathVersion(path) }

// hsError is a HubSpot error object, and also the top level of a batch
// answer ({status, results, errors, numErrors}).
type hsError struct {
	Status      string          `json:"status"`
	Message     string          `json:"message"`
	Category    string          `json:"category"`
	SubCategory json.RawMessage `json:"subCategory"`
	ErrorType   string          `json:"errorType"`
	PolicyName  string          `json:"policyName"`
	Errors      []hsBatchError  `json:"errors"`
	Results     json.RawMessage `json:"results"`
	NumErrors   int             `json:"numErrors"`
	// ValidationResults is the legacy v1 contacts API's answer to property
	// values that fail validation ({isValid, message, error, name}).
	ValidationResults []hsValidation `json:"validationResults"`
}

type hsValidation struct {
	IsValid bool   `json:"isValid"`
	Message string `json:"message"`
	Error   string `json:"error"`
	Name    string `json:"name"`
}

// hsBatchError is one entry of errors[]: a StandardError in a batch
// answer, an ErrorDetail ({message, code, in}) in a single error.
type hsBatchError struct {
	Category    string          `json:"category"`
	SubCategory json.RawMessage `json:"subCategory"`
	Code        string          `json:"code"`
	Message     string          `json:"message"`
}

// Classify reads the category of a HubSpot error, and the errors[] of a
// batch answer.
func (HubSpot) Classify(r *Response) Verdict {
	if r == nil {
		return Verdict{Class: fault.Unknown}
	}
	b := trimSpace(r.Body)
	read := func(e *hsError) (Verdict, bool) { return hsClassify(e, b, r.Status, r.Path) }
	sniff := func(b []byte) (Verdict, bool) { return hsSniff(b, r.Status, r.Path) }
	if v, ok := readObject(b, read, sniff); ok {
		return v
	}
	if r.Status == http.StatusMultiStatus {
		// Multi-status without a readable errors[]: some items failed.
		return Verdict{Class: fault.Unknown, Partial: true}
	}
	return hsStatus(r.Status, r.Path)
}

func hsClassify(e *hsError, b []byte, status int, path string) (Verdict, bool) {
	if e.Results != nil || status == http.StatusMultiStatus {
		var results []json.RawMessage
		decode(e.Results, &results)
		if len(results) > 0 || len(e.Errors) > 0 {
			items := make([]item, 0, len(results)+len(e.Errors))
			for range results {
				items = append(items, item{})
			}
			for _, be := range e.Errors {
				code := hsCode(be.Category, scalar(be.SubCategory))
				if code == "" {
					code = be.Code
				}
				c, ok := hsCategory(be.Category)
				if !ok {
					c, ok = codeKeywords(be.Code)
				}
				if !ok {
					c = fault.Unknown
				}
				items = append(items, item{failed: true, class: c, code: code, msg: be.Message})
			}
			v, _ := aggregate(items)
			if status >= 300 && status != http.StatusMultiStatus && v.Class == fault.OK {
				return hsStatus(status, path), true
			}
			return v, true
		}
	}
	code := hsCode(e.Category, scalar(e.SubCategory))
	if code == "" {
		code = e.ErrorType
	}
	if code == "" {
		for _, vr := range e.ValidationResults {
			if vr.IsValid {
				continue
			}
			// Legacy v1: a value failed validation (INVALID_EMAIL, …);
			// a property that does not exist is a wrong call instead.
			c := fault.DataFormat
			if vr.Error == "PROPERTY_DOESNT_EXIST" {
				c = fault.Parameter
			}
			return Verdict{Class: c, Code: vr.Error, Message: vr.Message}, true
		}
		return Verdict{}, false
	}
	v := Verdict{Code: code, Message: e.Message}
	c, ok := hsCategory(e.Category)
	if !ok {
		c, ok = hsCategory(e.ErrorType)
	}
	if !ok {
		c, ok = codeKeywords(code)
	}
	if !ok {
		st := hsStatus(status, path)
		c, v.Remediation = st.Class, st.Remediation
	}
	// A wrong property name is a VALIDATION_ERROR whose context names it
	// (context {invalidPropertyName=[…]}): the call is wrong, not the data.
	if c == fault.DataFormat && (bytes.Contains(b, []byte("invalidPropertyName")) || bytes.Contains(b, []byte("PROPERTY_DOESNT_EXIST"))) {
		c = fault.Parameter
	}
	if c == fault.OK {
		c = fault.Unknown
	}
	v.Class = c
	if v.Remediation == "" {
		v.Remediation = hsRemediation(e.Category, e.PolicyName, c)
	}
	return v, true
}

// hsCode joins category and subCategory into the vendor code.
func hsCode(category, sub string) string {
	if sub == "" {
		return category
	}
	if category == "" {
		return sub
	}
	return category + "/" + sub
}

// hsCategory maps HubSpot error categories and errorTypes
// (research/crm-apis.md §2.1).
func hsCategory(cat string) (fault.Class, bool) {
	switch cat {
	case "INVALID_AUTHENTICATION", "EXPIRED_AUTHENTICATION":
		return fault.Auth, true
	case "MISSING_SCOPES":
		return fault.Permission, true
	case "RATE_LIMITS", "RATE_LIMIT":
		return fault.RateLimit, true
	case "VALIDATION_ERROR":
		return fault.DataFormat, true
	case "CONFLICT":
		return fault.Conflict, true
	case "OBJECT_NOT_FOUND":
		return fault.NotFound, true
	}
	return fault.Unknown, false
}

// hsStatus is ByStatus, with a 404 on a sunset endpoint as version. The
// sunset endpoints are those HubSpot announced to answer 404 after their
// sunset (research/crm-apis.md §2.3); a 404 on any other path stays
// not_found, because the answer itself does not tell a sunset apart.
func hsStatus(status int, path string) Verdict {
	if status == http.StatusNotFound {
		for _, p := range [...]string{"/owners/v2/", "/contacts/v1/lists"} {
			if strings.HasPrefix(path, p) || strings.HasPrefix(path+"/", p) {
				return Verdict{Class: fault.Version, Remediation: hsSunsetRemediation}
			}
		}
	}
	return statusVerdict(status)
}

const hsSunsetRemediation = "HubSpot answers 404 on sunset endpoints: migrate to the current API (date-versioned /crm/objects/YYYY-MM/ paths; legacy v1–v4 paths are unsupported from September 2027)."

func hsRemediation(category, policy string, c fault.Class) string {
	switch {
	case category == "EXPIRED_AUTHENTICATION":
		return "The HubSpot OAuth access token expired: refresh it with the refresh token, then retry."
	case category == "INVALID_AUTHENTICATION":
		return "HubSpot did not accept the credentials: check the private-app token or OAuth app installation; HubSpot warns that a 401 alone is not a sign that a new access token is needed."
	case category == "MISSING_SCOPES":
		return "The HubSpot app lacks a scope this call needs (such as crm.objects.deals.read): add the scope to the app and reinstall or re-authorize it."
	case c == fault.RateLimit && strings.EqualFold(policy, "DAILY"):
		return "The HubSpot account's daily API limit is used up: calls fail until the daily window resets; check X-HubSpot-RateLimit-Daily-Remaining, spread the load, or buy the API limit increase."
	case c == fault.RateLimit && policy != "":
		return "HubSpot's burst limit per app (per 10 seconds) was hit: back off a few seconds and pace calls by X-HubSpot-RateLimit-Remaining."
	case category == "CONFLICT":
		return "The record already exists in HubSpot (the message names the existing ID): update it, or use batch upsert with a unique idProperty instead of search-then-create."
	}
	return ""
}

// hsSniff reads a body that does not decode for its category.
func hsSniff(b []byte, status int, path string) (Verdict, bool) {
	code := sniffValue(b, "category")
	if code == "" {
		code = sniffValue(b, "errorType")
	}
	if code == "" {
		return Verdict{}, false
	}
	c, ok := hsCategory(code)
	if !ok {
		c = hsStatus(status, path).Class
	}
	if c == fault.OK {
		c = fault.Unknown
	}
	v := Verdict{Class: c, Code: code, Message: sniffValue(b, "message")}
	if status == http.StatusMultiStatus || (status < 300 && bytes.Contains(b, []byte(`"results"`))) {
		v.Partial = true
	}
	return v, true
}

var _ IdempotentWriter = HubSpot{}

// IdempotentWrite reports HubSpot's upserts (batch/upsert with an
// idProperty), batch updates by id and PATCH updates as idempotent: each
// sets the same properties again (research/crm-apis.md §2.4). Creates are
// not.
func (HubSpot) IdempotentWrite(method, path string) bool {
	switch {
	case method == http.MethodPatch:
		return true
	case method == http.MethodPost:
		return strings.HasSuffix(path, "/batch/upsert") || strings.HasSuffix(path, "/batch/update")
	}
	return false
}
